import { useEffect, useImperativeHandle, useRef, type Ref } from 'react'
import { Compartment, EditorState, type Extension } from '@codemirror/state'
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection, highlightSpecialChars } from '@codemirror/view'
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands'
import { bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language'
import { searchKeymap, highlightSelectionMatches } from '@codemirror/search'
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete'
import { classHighlighter } from '@lezer/highlight'

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

// Each grammar is its own chunk (the C one alone is ~100 KB minified), so a
// page downloads only the languages its blocks use; the editor works (without
// colours) for the few milliseconds before the grammar arrives.
function loadLanguage(lang: string): Promise<Extension> {
  if (lang === 'python') return import('./lang/python').then((m) => m.support())
  if (lang === 'c' || lang === 'cpp') return import('./lang/c').then((m) => m.support())
  return Promise.resolve([])
}

/** Owns one CodeMirror EditorView; colours come from CSS (tok-* classes), so light and dark follow the page. */
export function CodeEditor({ initial, language, label, describedBy, onChange, onRun, ref }: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const cb = useRef({ onChange, onRun })
  cb.current = { onChange, onRun }

  useEffect(() => {
    const lang = new Compartment()
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(), drawSelection(),
          indentOnInput(), syntaxHighlighting(classHighlighter), bracketMatching(), closeBrackets(),
          highlightActiveLine(), highlightSelectionMatches(), lang.of([]),
          keymap.of([
            { key: 'Mod-Enter', preventDefault: true, run: () => (cb.current.onRun(), true) },
            ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, indentWithTab,
          ]),
          EditorView.contentAttributes.of({ 'aria-label': label, ...(describedBy ? { 'aria-describedby': describedBy } : {}) }),
          EditorView.updateListener.of((u) => u.docChanged && cb.current.onChange(u.state.doc.toString())),
        ],
      }),
    })
    view.current = v
    // Arriving by keyboard, Tab keeps moving focus (no trap) until the learner
    // presses another key; from then on Tab indents, and Esc then Tab leaves.
    let pointer = false
    const onPointer = () => (pointer = true)
    const onFocus = () => {
      if (!pointer) v.setTabFocusMode(10 * 60_000)
      pointer = false
    }
    v.dom.addEventListener('mousedown', onPointer, true)
    v.dom.addEventListener('touchstart', onPointer, { capture: true, passive: true })
    v.contentDOM.addEventListener('focus', onFocus)
    let live = true
    loadLanguage(language).then(
      (ext) => live && v.dispatch({ effects: lang.reconfigure(ext) }),
      (err) => console.warn('runblock: language support failed to load', err),
    )
    return () => {
      live = false
      v.destroy()
    }
    // The view is created once per language; later text changes go through setValue.
  }, [language])

  useImperativeHandle(ref, () => ({
    setValue(text) {
      const v = view.current
      if (v) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } })
    },
    getValue: () => view.current?.state.doc.toString() ?? initial,
    focus: () => view.current?.focus(),
  }))

  return <div className="rb-editor" ref={host} />
}
