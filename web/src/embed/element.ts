import { ServerRunner } from '../runner/server'
import { TerminalModel } from '../runner/terminal'
import type { RunHandle, RunResult, RunStatus } from '../runner/types'
import { statusLabel } from '../components/status'
import { TerminalView } from './terminalView'
import { embedStyles } from './styles'

// <runblock-code language="python">…</runblock-code>: an editor, Run/Stop
// and a terminal in a shadow root, so the host page's CSS can't reach in
// and ours can't leak out. Runs always go to the runblock server that
// served embed.js: a host page is rarely cross-origin isolated, and
// Pyodide's runtime from another origin would need it (and CORP on every
// file); the server path has input() and Stop everywhere.

export interface EmbedConfig {
  /** The API base, e.g. https://runblock.example/api/v1/code. */
  apiBase: string
}

const config: EmbedConfig = { apiBase: '/api/v1/code' }

export function configureEmbed(c: Partial<EmbedConfig>) {
  Object.assign(config, c)
}

const languages: Record<string, string> = { python: 'Python', py: 'Python', c: 'C' }

let seq = 0

export class RunblockCode extends HTMLElement {
  static observedAttributes = ['language']
  private shadow: ShadowRoot | null = null
  private code = ''
  private term = new TerminalModel()
  private view: TerminalView | null = null
  private handle: RunHandle | null = null
  private status: RunStatus = 'idle'
  private result: RunResult | null = null
  private environment: string | null = null
  private startedAt = 0
  private runBtn!: HTMLButtonElement
  private stopBtn!: HTMLButtonElement
  private badge!: HTMLSpanElement
  private warnings!: HTMLUListElement
  private textarea!: HTMLTextAreaElement
  private editorHost!: HTMLDivElement
  private getCode: () => string = () => this.textarea.value
  private renderQueued = false
  private clock: ReturnType<typeof setInterval> | null = null

  get language(): string {
    const l = (this.getAttribute('language') ?? 'python').toLowerCase()
    return l === 'py' ? 'python' : l
  }

  /** The code as it is now in the editor. */
  get value(): string {
    return this.shadow ? this.getCode() : this.code
  }

  connectedCallback() {
    if (this.shadow) return
    this.code = dedent(this.textContent ?? '')
    this.shadow = this.attachShadow({ mode: 'open' })
    adoptStyles(this.shadow)
    this.build()
  }

  disconnectedCallback() {
    void this.handle?.stop()
  }

  private build() {
    const d = document
    const root = this.shadow!
    const id = `rb-embed-${++seq}`
    const lang = this.language
    const name = languages[lang] ?? lang
    const wrap = d.createElement('div')
    wrap.className = 'rb-embed'
    const block = d.createElement('section')
    block.className = 'rb-block'
    block.setAttribute('aria-label', `${name} code`)
    const head = d.createElement('header')
    head.className = 'rb-block-head'
    const title = d.createElement('span')
    title.className = 'rb-block-title'
    title.textContent = this.getAttribute('title') ?? ''
    const langTag = d.createElement('span')
    langTag.className = 'rb-lang'
    langTag.textContent = name
    head.append(title, langTag)

    // A plain textarea until CodeMirror arrives: editable at once, and the
    // editor's ~150 KB stay out of embed.js.
    this.editorHost = d.createElement('div')
    this.editorHost.className = 'rb-editor'
    this.textarea = d.createElement('textarea')
    this.textarea.className = 'rb-plain-editor'
    this.textarea.value = this.code
    this.textarea.spellcheck = false
    this.textarea.rows = Math.min(20, this.code.split('\n').length + 1)
    this.textarea.setAttribute('aria-label', `${name} code`)
    this.textarea.setAttribute('aria-describedby', `${id}-hint`)
    this.textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault()
        this.run()
      }
    })
    this.editorHost.append(this.textarea)

    const bar = d.createElement('div')
    bar.className = 'rb-toolbar'
    this.runBtn = button('rb-btn rb-run', 'Run', () => this.run())
    this.runBtn.setAttribute('aria-keyshortcuts', 'Control+Enter')
    this.stopBtn = button('rb-btn', 'Stop', () => this.stop())
    this.stopBtn.disabled = true
    this.badge = d.createElement('span')
    this.badge.className = 'rb-badge rb-badge-idle'
    this.badge.setAttribute('role', 'status')
    this.badge.setAttribute('aria-live', 'polite')
    this.badge.dataset.testid = 'status'
    this.badge.textContent = statusLabel('idle')
    bar.append(this.runBtn, this.stopBtn, this.badge)
    const hint = d.createElement('p')
    hint.id = `${id}-hint`
    hint.className = 'rb-hint'
    hint.textContent = 'Ctrl+Enter runs. In the editor Tab indents: press Esc, then Tab, to move on.'
    this.warnings = d.createElement('ul')
    this.warnings.className = 'rb-warnings'
    this.warnings.hidden = true

    this.view = new TerminalView(this.term, {
      language: lang,
      root,
      onLine: (line) => this.sendLine(line),
      onEof: () => void this.handle?.closeInput().catch(() => {}),
    })
    block.append(head, this.editorHost, bar, hint, this.warnings, this.view.el)
    wrap.append(block)
    root.append(wrap)
    if (this.getAttribute('editor') !== 'plain') this.loadEditor(name)
  }

  private loadEditor(name: string) {
    import('../components/editorView').then(
      ({ createEditor }) => {
        if (!this.isConnected) return
        const ta = this.textarea
        const ed = createEditor({
          parent: this.editorHost,
          root: this.shadow!,
          initial: ta.value,
          language: this.language,
          label: `${name} code`,
          describedBy: ta.getAttribute('aria-describedby') ?? undefined,
          onChange: () => {},
          onRun: () => this.run(),
        })
        const hadFocus = this.shadow!.activeElement === ta
        ta.remove()
        this.getCode = () => ed.view.state.doc.toString()
        if (hadFocus) ed.view.focus()
        this.dataset.editor = 'codemirror'
      },
      // The textarea keeps working; only the highlighting is missing.
      (err) => console.warn('runblock: the editor failed to load', err),
    )
  }

  private token(): string | null {
    return this.dataset.token || this.getAttribute('token') || null
  }

  private runner(): ServerRunner {
    const token = this.token()
    // The anonymous session cookie is SameSite=Lax: it reaches runblock only
    // from a page of the same site, and only when the operator allows
    // credentials in CORS (cors.allow_credentials), so sending it is opt-in
    // (credentials="include"). Otherwise the caller is the token, or an
    // anonymous one metered by address.
    const credentials: RequestCredentials = !token && this.getAttribute('credentials') === 'include' ? 'include' : 'omit'
    const f: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers)
      if (token) headers.set('Authorization', `Bearer ${token}`)
      return globalThis.fetch(input, { ...init, headers, credentials })
    }
    return new ServerRunner({ baseUrl: config.apiBase, fetch: f })
  }

  run() {
    if (this.status === 'starting' || this.status === 'running') return
    this.term.clear()
    this.result = null
    this.environment = null
    this.setStatus('starting')
    this.showWarnings([])
    this.startedAt = performance.now()
    const timeout = Number(this.getAttribute('timeout')) || undefined
    const h = this.runner().run({
      code: this.value,
      language: this.language,
      environment: 'server',
      ...(timeout ? { timeout } : {}),
    })
    this.handle = h
    this.clock = setInterval(() => this.queueRender(), 100)
    h.on((ev) => {
      if (this.handle !== h) return
      switch (ev.type) {
        case 'start':
          this.environment = ev.environment
          this.showWarnings(ev.warnings)
          this.setStatus('running')
          break
        case 'output':
          this.term.write(ev.stream, ev.text)
          break
        case 'image':
          this.term.image({ mime: ev.mime, data: ev.data, alt: ev.alt })
          break
        case 'retrying':
          this.badge.textContent = `server busy, retrying in ${ev.delaySeconds} s`
          return
        case 'complete':
          if (this.clock) clearInterval(this.clock)
          this.clock = null
          this.result = ev.result
          if (ev.result.environment) this.environment = ev.result.environment
          if (ev.result.imagesDropped) this.term.note(`(${ev.result.imagesDropped} more figures not shown: the run's image budget is used up)`)
          this.setStatus(ev.result.status)
          // The badge changes at once; the log must not trail it by a frame,
          // or a reader (or a runblock:complete listener) sees "success"
          // beside output that lacks its last lines.
          this.render()
          this.dispatchEvent(new CustomEvent('runblock:complete', { detail: ev.result, bubbles: true, composed: true }))
          return
      }
      this.queueRender()
    })
    this.queueRender()
  }

  stop() {
    const h = this.handle
    if (!h || (this.status !== 'starting' && this.status !== 'running')) return
    this.badge.textContent = 'stopping…'
    this.stopBtn.disabled = true
    void h.stop()
  }

  private sendLine(line: string) {
    const h = this.handle
    if (!h || !h.interactive) return
    this.term.echo(line + '\n')
    this.queueRender()
    h.sendInput(line + '\n').catch((err: unknown) => {
      // Without a token or the session cookie each request is a new anonymous
      // caller, and input goes only to the caller who started the run.
      const why = this.token() || this.getAttribute('credentials') === 'include'
        ? (err instanceof Error ? err.message : String(err))
        : 'an anonymous embed on another site cannot send input; give the block a data-token'
      this.term.note(`(input not delivered: ${why})`)
      this.queueRender()
    })
  }

  private setStatus(s: RunStatus) {
    this.status = s
    const live = s === 'starting' || s === 'running'
    this.runBtn.disabled = live
    this.runBtn.setAttribute('aria-busy', String(live))
    this.runBtn.textContent = live ? 'Running…' : 'Run'
    this.stopBtn.disabled = !live
    this.badge.className = `rb-badge rb-badge-${s}`
    this.badge.textContent = statusLabel(s)
    this.dataset.status = s
  }

  private showWarnings(ws: string[]) {
    this.warnings.replaceChildren(...ws.map((w) => Object.assign(document.createElement('li'), { textContent: w })))
    this.warnings.hidden = ws.length === 0
  }

  private queueRender() {
    if (this.renderQueued) return
    this.renderQueued = true
    const go = () => {
      this.renderQueued = false
      this.render()
    }
    if (typeof requestAnimationFrame === 'function' && document.visibilityState !== 'hidden') requestAnimationFrame(go)
    else setTimeout(go, 16)
  }

  private render() {
    const live = this.status === 'starting' || this.status === 'running'
    const elapsed = live ? (performance.now() - this.startedAt) / 1000 : (this.result?.executionTime ?? null)
    this.view?.render({
      status: this.status,
      result: this.result,
      environment: this.environment,
      acceptsInput: live && (this.handle?.interactive ?? false),
      elapsed,
    })
  }
}

function button(cls: string, text: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button')
  b.type = 'button'
  b.className = cls
  b.textContent = text
  b.addEventListener('click', onClick)
  return b
}

/** Code written inside an indented tag: drop the common indent and the blank first and last lines. */
export function dedent(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  while (lines.length && lines[0].trim() === '') lines.shift()
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop()
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length)
  const cut = indents.length ? Math.min(...indents) : 0
  return lines.map((l) => l.slice(cut)).join('\n')
}

function adoptStyles(root: ShadowRoot) {
  // A constructed sheet is not an inline <style>, so a host page's CSP
  // without 'unsafe-inline' for styles doesn't block it.
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    try {
      const sheet = new CSSStyleSheet()
      sheet.replaceSync(embedStyles())
      root.adoptedStyleSheets = [sheet]
      return
    } catch {
      // fall through to a <style> element
    }
  }
  const st = document.createElement('style')
  st.textContent = embedStyles()
  root.append(st)
}
