import { Compartment, EditorState, type Extension } from '@codemirror/state'
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection, highlightSpecialChars } from '@codemirror/view'
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands'
import { bracketMatching, indentOnInput, syntaxHighlighting } from '@codemirror/language'
import { searchKeymap, highlightSelectionMatches } from '@codemirror/search'
import { closeBrackets, closeBracketsKeymap } from '@codemirror/autocomplete'
import { classHighlighter } from '@lezer/highlight'

// The editor without React: the lesson page's CodeEditor and the embed's
// custom element (which loads this lazily) both build their view here.

export interface EditorOptions {
  parent: HTMLElement
  initial: string
  language: string
  label: string
  describedBy?: string
  /** The shadow root the editor lives in, so CodeMirror mounts its styles there. */
  root?: ShadowRoot | Document
  onChange(text: string): void
  onRun(): void
}

export interface EditorInstance {
  view: EditorView
  destroy(): void
}

// Each grammar is its own chunk (the C one alone is ~100 KB minified), so a
// page downloads only the languages its blocks use; the editor works (without
// colours) for the few milliseconds before the grammar arrives.
function loadLanguage(lang: string): Promise<Extension> {
  if (lang === 'python') return import('./lang/python').then((m) => m.support())
  if (lang === 'c' || lang === 'cpp' || lang === 'c++') return import('./lang/c').then((m) => m.support())
  return Promise.resolve([])
}

/** One CodeMirror view; colours come from CSS (tok-* classes), so light and dark follow the page. */
export function createEditor(o: EditorOptions): EditorInstance {
  const lang = new Compartment()
  const v = new EditorView({
    parent: o.parent,
    ...(o.root ? { root: o.root } : {}),
    state: EditorState.create({
      doc: o.initial,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(), drawSelection(),
        indentOnInput(), syntaxHighlighting(classHighlighter), bracketMatching(), closeBrackets(),
        highlightActiveLine(), highlightSelectionMatches(), lang.of([]),
        keymap.of([
          { key: 'Mod-Enter', preventDefault: true, run: () => (o.onRun(), true) },
          ...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, indentWithTab,
        ]),
        EditorView.contentAttributes.of({ 'aria-label': o.label, ...(o.describedBy ? { 'aria-describedby': o.describedBy } : {}) }),
        EditorView.updateListener.of((u) => u.docChanged && o.onChange(u.state.doc.toString())),
      ],
    }),
  })
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
  loadLanguage(o.language).then(
    (ext) => live && v.dispatch({ effects: lang.reconfigure(ext) }),
    (err) => console.warn('runblock: language support failed to load', err),
  )
  return {
    view: v,
    destroy() {
      live = false
      v.destroy()
    },
  }
}

export function setEditorValue(v: EditorView, text: string) {
  v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } })
}
