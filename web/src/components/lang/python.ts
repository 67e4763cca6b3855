// Own module so the grammar's chunk is named after it (assets/python-*.js).
export { python as support } from '@codemirror/lang-python'
