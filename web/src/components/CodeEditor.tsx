import { useEffect, useImperativeHandle, useRef, type Ref } from 'react'
import type { EditorView } from '@codemirror/view'
import { createEditor, setEditorValue } from './editorView'

export interface CodeEditorHandle {
  setValue(text: string): void
  getValue(): string
  focus(): void
}

export interface CodeEditorProps {
  initial: string
  language: string
  label: string
  describedBy?: string
  onChange(text: string): void
  onRun(): void
  ref?: Ref<CodeEditorHandle>
}

/** Owns one CodeMirror EditorView (built by editorView.ts). */
export function CodeEditor({ initial, language, label, describedBy, onChange, onRun, ref }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const cb = useRef({ onChange, onRun })
  cb.current = { onChange, onRun }

  useEffect(() => {
    const ed = createEditor({
      parent: host.current!,
      initial,
      language,
      label,
      describedBy,
      onChange: (t) => cb.current.onChange(t),
      onRun: () => cb.current.onRun(),
    })
    view.current = ed.view
    return () => ed.destroy()
    // The view is created once per language; later text changes go through setValue.
  }, [language])

  useImperativeHandle(ref, () => ({
    setValue(text) {
      if (view.current) setEditorValue(view.current, text)
    },
    getValue: () => view.current?.state.doc.toString() ?? initial,
    focus: () => view.current?.focus(),
  }))

  return <div className="rb-editor" ref={host} />
}
