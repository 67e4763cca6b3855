import type { Line, Segment, TerminalModel } from '../runner/terminal'
import type { RunResult, RunStatus } from '../runner/types'
import { imageURL, type RunImage } from '../runner/image'
import { downloadLink, openImageViewer } from '../lib/imageViewer'
import { copyText } from '../lib/clipboard'
import { statusLabel } from '../components/status'

// The embed's terminal: the lesson page's TerminalOutput in plain DOM (the
// host page gets no React). Same classes, so the same stylesheet draws it;
// line nodes are cached by the model's line identity, so a render touches
// only what changed.

export interface TerminalViewOptions {
  language: string
  /** Where the enlarge dialog is attached (the element's shadow root). */
  root: ShadowRoot
  onLine(line: string): void
  onEof(): void
}

export class TerminalView {
  readonly el: HTMLDivElement
  private title: HTMLSpanElement
  private copyBtn: HTMLButtonElement
  private body: HTMLPreElement
  private linesEl: HTMLSpanElement
  private input: HTMLInputElement
  private empty: HTMLSpanElement
  private foot: HTMLDivElement
  private nodes = new WeakMap<Line, HTMLElement>()
  private stick = true

  constructor(
    private term: TerminalModel,
    private o: TerminalViewOptions,
  ) {
    const d = document
    this.el = d.createElement('div')
    this.el.className = 'rb-term'
    this.el.hidden = true
    const bar = d.createElement('div')
    bar.className = 'rb-term-bar'
    const dots = d.createElement('span')
    dots.className = 'rb-dots'
    dots.setAttribute('aria-hidden', 'true')
    dots.append(d.createElement('i'), d.createElement('i'), d.createElement('i'))
    this.title = d.createElement('span')
    this.title.className = 'rb-term-title'
    this.copyBtn = d.createElement('button')
    this.copyBtn.type = 'button'
    this.copyBtn.className = 'rb-term-copy'
    this.copyBtn.textContent = 'Copy output'
    this.copyBtn.addEventListener('click', async () => {
      const ok = await copyText(this.term.plainText())
      this.copyBtn.textContent = ok ? 'Copied' : 'Copy output'
      setTimeout(() => (this.copyBtn.textContent = 'Copy output'), 1500)
    })
    bar.append(dots, this.title, this.copyBtn)
    this.body = d.createElement('pre')
    this.body.className = 'rb-term-body'
    this.body.setAttribute('role', 'log')
    this.body.setAttribute('aria-label', 'Program output')
    this.body.tabIndex = 0
    this.body.addEventListener('scroll', () => {
      const b = this.body
      this.stick = b.scrollHeight - b.scrollTop - b.clientHeight < 24
    })
    this.body.addEventListener('click', () => {
      if (!this.input.hidden && !window.getSelection()?.toString()) this.input.focus()
    })
    this.linesEl = d.createElement('span')
    this.input = d.createElement('input')
    this.input.className = 'rb-stdin-input'
    this.input.hidden = true
    this.input.setAttribute('aria-label', 'Input for the program (Enter sends the line, Ctrl+D ends input)')
    this.input.autocomplete = 'off'
    this.input.spellcheck = false
    this.input.setAttribute('autocapitalize', 'off')
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault()
        const v = this.input.value
        this.input.value = ''
        this.o.onLine(v)
      } else if (e.key === 'd' && e.ctrlKey) {
        e.preventDefault()
        if (this.input.value) this.o.onLine(this.input.value)
        this.input.value = ''
        this.o.onEof()
      }
    })
    this.empty = d.createElement('span')
    this.empty.className = 'rb-system'
    this.body.append(this.linesEl, this.input, this.empty)
    this.foot = d.createElement('div')
    this.foot.className = 'rb-term-foot'
    this.el.append(bar, this.body, this.foot)
  }

  render(s: { status: RunStatus; result: RunResult | null; environment: string | null; acceptsInput: boolean; elapsed: number | null }) {
    const t = this.term
    this.el.hidden = false
    this.el.className = `rb-term rb-term-${s.status}`
    this.title.textContent = s.environment ? `${this.o.language} · ${s.environment}` : this.o.language
    this.copyBtn.disabled = t.isEmpty()
    const d = document
    const nodes: Node[] = []
    if (t.dropped > 0) nodes.push(span('rb-system', `… ${t.dropped} earlier lines not shown\n`))
    let n = 0
    t.lines.forEach((l, i) => {
      if (l.image) n++
      let node = this.nodes.get(l)
      if (!node) {
        node = d.createElement('span')
        node.className = 'rb-line'
        if (l.image) node.append(this.imageNode(l.image, n))
        else for (const seg of l.segs) node.append(segmentNode(seg))
        this.nodes.set(l, node)
      }
      // The newline after a line depends on whether it is last: kept outside the cached node.
      nodes.push(node)
      if (i < t.lines.length - 1) nodes.push(d.createTextNode('\n'))
    })
    this.linesEl.replaceChildren(...nodes)
    const wasHidden = this.input.hidden
    this.input.hidden = !s.acceptsInput
    if (!s.acceptsInput) this.input.value = ''
    else if (wasHidden && t.atPrompt() && this.el.getRootNode() instanceof ShadowRoot) {
      const active = (this.el.getRootNode() as ShadowRoot).activeElement
      if (active && !active.closest('.cm-editor') && active !== this.input) this.input.focus()
    }
    this.empty.textContent = t.isEmpty() && s.result ? (s.result.id ? '(no output)' : 'The program did not start.') : ''
    this.renderFoot(s)
    if (this.stick) this.body.scrollTop = this.body.scrollHeight
  }

  private imageNode(img: RunImage, n: number): HTMLElement {
    const d = document
    const wrap = span('rb-image', '')
    wrap.dataset.testid = 'run-image'
    const btn = d.createElement('button')
    btn.type = 'button'
    btn.className = 'rb-image-open'
    btn.title = 'Enlarge'
    btn.setAttribute('aria-label', `Enlarge image: ${img.alt}`)
    const im = d.createElement('img')
    im.src = imageURL(img)
    im.alt = img.alt
    btn.append(im)
    btn.addEventListener('click', () => openImageViewer(img, { root: this.o.root, opener: btn, n }))
    wrap.append(btn, downloadLink(d, img, n))
    return wrap
  }

  private renderFoot(s: { status: RunStatus; result: RunResult | null; elapsed: number | null }) {
    const t = this.term
    const r = s.result
    const parts: Node[] = []
    if (r?.truncated || t.clipped > 0) {
      const p = para('rb-truncated', 'Output truncated: the program wrote more than can be shown.')
      p.setAttribute('role', 'status')
      parts.push(p)
    }
    if (r) {
      const p = para('rb-final', '')
      p.dataset.testid = 'final-status'
      p.append(span(`rb-badge rb-badge-${s.status}`, statusLabel(s.status)))
      if (r.exitCode !== null) p.append(span('', `exit code ${r.exitCode}`))
      if (s.elapsed !== null) p.append(span('', s.elapsed < 10 ? `${s.elapsed.toFixed(2)} s` : `${s.elapsed.toFixed(1)} s`))
      if (r.environment) p.append(span('', `ran on ${r.environment}`))
      parts.push(p)
      if (r.message) {
        const m = para('rb-message', r.message)
        if (s.status !== 'success') m.setAttribute('role', 'alert')
        parts.push(m)
      }
    }
    this.foot.replaceChildren(...parts)
    this.foot.hidden = parts.length === 0
  }
}

function span(cls: string, text: string): HTMLSpanElement {
  const s = document.createElement('span')
  if (cls) s.className = cls
  s.textContent = text
  return s
}

function para(cls: string, text: string): HTMLParagraphElement {
  const p = document.createElement('p')
  p.className = cls
  p.textContent = text
  return p
}

function segmentNode(seg: Segment): HTMLSpanElement {
  const s = span(`rb-${seg.stream}`, seg.text)
  const st = seg.style
  if (!st) return s
  let { fg, bg } = st
  if (st.inverse) [fg, bg] = [bg ?? 'var(--term-bg)', fg ?? 'var(--term-fg)']
  if (typeof fg === 'number') s.classList.add(`ansi-fg${fg}`)
  else if (fg) s.style.color = fg
  if (typeof bg === 'number') s.classList.add(`ansi-bg${bg}`)
  else if (bg) s.style.backgroundColor = bg
  if (st.bold) s.classList.add('ansi-bold')
  if (st.dim) s.classList.add('ansi-dim')
  if (st.italic) s.classList.add('ansi-italic')
  if (st.underline) s.classList.add('ansi-underline')
  return s
}
