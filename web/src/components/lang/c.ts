// Own module so the grammar's chunk is named after it (assets/c-*.js).
export { cpp as support } from '@codemirror/lang-cpp'
