import { memo, useEffect, useRef, useState, type CSSProperties, type KeyboardEvent } from 'react'
import type { Line, Segment, Style, TerminalModel } from '../runner/terminal'
import type { RunResult, RunStatus } from '../runner/types'
import { copyText } from '../lib/clipboard'
import { imageFileName, imageURL, type RunImage } from '../runner/image'
import { openImageViewer } from '../lib/imageViewer'
import { statusLabel } from './status'

export interface TerminalOutputProps {
  terminal: TerminalModel
  version: number
  status: RunStatus
  result: RunResult | null
  environment: string | null
  language: string
  elapsed: number | null
  acceptsInput: boolean
  /** Focus the input when a prompt appears (only if focus is already inside the block). */
  focusScope?: HTMLElement | null
  onLine(line: string): void
  onEof(): void
}

function styleProps(style: Style | null): { className: string; style?: CSSProperties } {
  if (!style) return { className: '' }
  let { fg, bg } = style
  if (style.inverse) [fg, bg] = [bg ?? 'var(--term-bg)', fg ?? 'var(--term-fg)']
  const cls: string[] = []
  const css: CSSProperties = {}
  if (typeof fg === 'number') cls.push(`ansi-fg${fg}`)
  else if (fg) css.color = fg
  if (typeof bg === 'number') cls.push(`ansi-bg${bg}`)
  else if (bg) css.backgroundColor = bg
  if (style.bold) cls.push('ansi-bold')
  if (style.dim) cls.push('ansi-dim')
  if (style.italic) cls.push('ansi-italic')
  if (style.underline) cls.push('ansi-underline')
  return { className: cls.join(' '), style: Object.keys(css).length ? css : undefined }
}

function SegmentView({ seg }: { seg: Segment }) {
  const p = styleProps(seg.style)
  return (
    <span className={`rb-${seg.stream}${p.className ? ' ' + p.className : ''}`} style={p.style}>
      {seg.text}
    </span>
  )
}

// A figure inline in the output: the image is a button that enlarges it;
// the link beside it saves it.
function ImageView({ img, n }: { img: RunImage; n: number }) {
  const url = imageURL(img)
  return (
    <span className="rb-image" data-testid="run-image">
      <button
        type="button"
        className="rb-image-open"
        title="Enlarge"
        aria-label={`Enlarge image: ${img.alt}`}
        onClick={(e) => openImageViewer(img, { root: document.body, opener: e.currentTarget, n })}
      >
        <img src={url} alt={img.alt} />
      </button>
      <a className="rb-image-download" href={url} download={imageFileName(img, n)} aria-label={`Download ${img.alt}`}>
        Download
      </a>
    </span>
  )
}

const LineView = memo(function LineView({ line, n }: { line: Line; n: number }) {
  if (line.image) return <ImageView img={line.image} n={n} />
  return (
    <>
      {line.segs.map((s, i) => (
        <SegmentView key={i} seg={s} />
      ))}
    </>
  )
})

function formatTime(s: number | null): string {
  if (s === null) return ''
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`
}

export function TerminalOutput(props: TerminalOutputProps) {
  const { terminal, status, result, environment, language, elapsed, acceptsInput, onLine, onEof, focusScope } = props
  const bodyRef = useRef<HTMLPreElement>(null)
  const inputRef = useRef<HTMLInputElement>(null)
  const [draft, setDraft] = useState('')
  const [copied, setCopied] = useState(false)
  const stick = useRef(true)

  // Follow the output while the reader is at the bottom; leave them alone when they scrolled up.
  useEffect(() => {
    const el = bodyRef.current
    if (el && stick.current) el.scrollTop = el.scrollHeight
  }, [props.version, acceptsInput])

  // A prompt (text with no newline after it) while the program can read: put the caret there.
  useEffect(() => {
    if (!acceptsInput || !terminal.atPrompt()) return
    const active = document.activeElement
    if (focusScope && active && focusScope.contains(active) && active !== inputRef.current && !active.closest('.cm-editor')) {
      inputRef.current?.focus()
    }
  }, [props.version, acceptsInput])

  useEffect(() => {
    if (!acceptsInput) setDraft('')
  }, [acceptsInput])

  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      e.preventDefault()
      onLine(draft)
      setDraft('')
    } else if (e.key === 'd' && e.ctrlKey) {
      e.preventDefault()
      if (draft) onLine(draft)
      setDraft('')
      onEof()
    }
  }

  const lines = terminal.lines
  const last = lines.length - 1
  let imageNo = 0
  const title = environment ? `${language} · ${environment}` : language
  const final = result !== null
  const copy = async () => {
    setCopied(await copyText(terminal.plainText()))
    setTimeout(() => setCopied(false), 1500)
  }

  return (
    <div className={`rb-term rb-term-${status}`}>
      <div className="rb-term-bar">
        <span className="rb-dots" aria-hidden="true">
          <i /> <i /> <i />
        </span>
        <span className="rb-term-title" data-testid="environment">
          {title}
        </span>
        <button type="button" className="rb-term-copy" onClick={copy} disabled={terminal.isEmpty()}>
          {copied ? 'Copied' : 'Copy output'}
        </button>
      </div>
      <pre
        ref={bodyRef}
        className="rb-term-body"
        role="log"
        aria-label="Program output"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24
        }}
        onClick={() => {
          if (acceptsInput && !window.getSelection()?.toString()) inputRef.current?.focus()
        }}
      >
        {terminal.dropped > 0 && <span className="rb-system">{`… ${terminal.dropped} earlier lines not shown\n`}</span>}
        {lines.map((l, i) => {
          if (l.image) imageNo++
          return (
            <span key={l.id} className="rb-line">
              <LineView line={l} n={imageNo} />
              {i < last ? '\n' : null}
            </span>
          )
        })}
        {acceptsInput && (
          <input
            ref={inputRef}
            className="rb-stdin-input"
            aria-label="Input for the program (Enter sends the line, Ctrl+D ends input)"
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKey}
          />
        )}
        {terminal.isEmpty() && final && (
          <span className="rb-system">{result!.id ? '(no output)' : 'The program did not start.'}</span>
        )}
      </pre>
      {(final || terminal.clipped > 0) && (
        <div className="rb-term-foot">
          {(result?.truncated || terminal.clipped > 0) && (
            <p className="rb-truncated" role="status">
              Output truncated: the program wrote more than can be shown.
            </p>
          )}
          {final && (
            <p className="rb-final" data-testid="final-status">
              <span className={`rb-badge rb-badge-${status}`}>{statusLabel(status)}</span>
              {result!.exitCode !== null && <span>exit code {result!.exitCode}</span>}
              {elapsed !== null && <span>{formatTime(elapsed)}</span>}
              {result!.environment && <span>ran on {result!.environment}</span>}
              {result!.stage === 'compile' && <span>at compile time</span>}
            </p>
          )}
          {final && result!.message && (
            <p className="rb-message" role={status === 'success' ? undefined : 'alert'}>
              {result!.message}
            </p>
          )}
        </div>
      )}
    </div>
  )
}
