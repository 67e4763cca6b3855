import pageCSS from '../styles.css?inline'

// The lesson page's stylesheet, scoped to the shadow root: its :root
// variables become :host ones; .rb-embed resets everything the host page
// could pass down by inheritance (colour, font, line height...), so a host
// rule like `* { color: red !important }` (which matches <runblock-code>
// itself) stops at the element's edge.
const own = `
:host { display: block; margin: 1rem 0; }
:host([hidden]) { display: none; }
.rb-embed {
  all: initial;
  display: block;
  font: 15px/1.5 var(--font);
  color: var(--fg);
  text-align: left;
}
.rb-embed .rb-block { margin: 0; }
.rb-block-title:empty { display: none; }
.rb-plain-editor {
  display: block; width: 100%; box-sizing: border-box; margin: 0; border: 0; resize: vertical;
  padding: 0.5rem 0.75rem; font: 14px/1.5 var(--mono); color: var(--fg); background: var(--editor-bg);
  tab-size: 4; white-space: pre; overflow: auto;
}
.rb-embed .rb-editor .cm-editor { font-size: 14px; max-height: 28rem; }
.rb-embed .rb-editor .cm-scroller { font-family: var(--mono); line-height: 1.5; }
[hidden] { display: none !important; }
`

let cached: string | null = null

export function embedStyles(): string {
  cached ??= pageCSS.replaceAll(':root', ':host').replace(/(^|\})\s*body\s*\{[^}]*\}/g, '$1') + own
  return cached
}
