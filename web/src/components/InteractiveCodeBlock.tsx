import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react'
import { CodeEditor, type CodeEditorHandle } from './CodeEditor'
import { TerminalOutput } from './TerminalOutput'
import { useCodeExecution } from '../hooks/useCodeExecution'
import { useSubmission } from '../hooks/useSubmission'
import { TestResults } from './TestResults'
import { clearEdit, editKey, loadEdit, saveEdit } from '../lib/edits'
import { copyText } from '../lib/clipboard'
import { queuedLabel, statusLabel } from './status'
import type { CodeBlock } from '../lib/api'

// How learners know the languages (the server's descriptors use these too).
const LANGUAGE_NAMES: Record<string, string> = {
  c: 'C', 'c++': 'C++', python: 'Python', rust: 'Rust', javascript: 'JavaScript', typescript: 'TypeScript',
  go: 'Go', java: 'Java', bash: 'Bash', sql: 'SQL',
}

export interface InteractiveCodeBlockProps {
  lessonId: string
  block: CodeBlock
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)

export function InteractiveCodeBlock({ lessonId, block }: InteractiveCodeBlockProps) {
  const key = useMemo(() => editKey(lessonId, block.id, block.code), [lessonId, block.id, block.code])
  // A fenced block's text ends with a newline; the editor shows no empty last line for it.
  const original = useMemo(() => block.code.replace(/\n$/, ''), [block.code])
  const initial = useMemo(() => loadEdit(key) ?? original, [key, original])
  const codeRef = useRef(initial)
  const [edited, setEdited] = useState(initial !== original)
  const [copied, setCopied] = useState(false)
  const editor = useRef<CodeEditorHandle>(null)
  const root = useRef<HTMLElement>(null)
  const saveTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const hintId = useId()
  const titleId = useId()

  const exec = useCodeExecution({
    language: block.language,
    environment: block.environment,
    timeout: block.timeout,
    stdin: block.stdin,
    contentId: lessonId,
    codeBlockId: block.id,
  })

  const onChange = useCallback(
    (text: string) => {
      codeRef.current = text
      setEdited(text !== original)
      if (saveTimer.current) clearTimeout(saveTimer.current)
      saveTimer.current = setTimeout(() => {
        saveTimer.current = null
        saveEdit(key, text, original)
      }, 250)
    },
    [key, original],
  )

  // An edit typed just before leaving the page is saved now, not lost with the timer.
  useEffect(() => {
    const flush = () => {
      if (!saveTimer.current) return
      clearTimeout(saveTimer.current)
      saveTimer.current = null
      saveEdit(key, codeRef.current, original)
    }
    window.addEventListener('pagehide', flush)
    return () => {
      window.removeEventListener('pagehide', flush)
      flush()
    }
  }, [key, original])

  const exercise = block.exercise === true
  const sub = useSubmission(lessonId, block.id, block.solved === true)

  const blocked = exec.blockedSeconds > 0
  const canRun = !exec.live && !blocked
  const run = useCallback(() => {
    if (canRun) exec.run(codeRef.current)
  }, [canRun, exec.run])

  const reset = () => {
    if (saveTimer.current) clearTimeout(saveTimer.current)
    saveTimer.current = null
    clearEdit(key)
    editor.current?.setValue(original)
    codeRef.current = original
    setEdited(false)
  }

  const copy = async () => {
    setCopied(await copyText(codeRef.current))
    setTimeout(() => setCopied(false), 1500)
  }

  const shown = exec.status !== 'idle' || !exec.terminal.isEmpty()
  const title = block.title || block.id
  const langName = LANGUAGE_NAMES[block.language] ?? block.language

  let live = ''
  if (exec.retrying) live = `Server busy, retrying in ${exec.retrying.delaySeconds} s (attempt ${exec.retrying.attempt} of ${exec.retrying.maxAttempts})`
  else if (exec.stopping) live = 'stopping…'
  else if (exec.queued) live = queuedLabel(exec.queued)
  else live = statusLabel(exec.status)

  return (
    <section className="rb-block" ref={root} aria-labelledby={titleId} data-block={block.id} onKeyDown={(e) => {
      // Ctrl/Cmd+Enter runs from anywhere in the block (the editor binds it too).
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
        e.preventDefault()
        run()
      }
    }}>
      <header className="rb-block-head">
        <h3 id={titleId} className="rb-block-title">{title}</h3>
        <span className="rb-lang">{langName}</span>
        {edited && <span className="rb-edited">edited</span>}
        {exercise && sub.solved && <span className="rb-solved" data-testid="solved">✓ Solved</span>}
      </header>
      <CodeEditor
        ref={editor}
        initial={initial}
        language={block.language}
        label={`${langName} code: ${title}`}
        describedBy={hintId}
        onChange={onChange}
        onRun={run}
      />
      <div className="rb-toolbar">
        <button type="button" className="rb-btn rb-run" onClick={run} disabled={!canRun} aria-busy={exec.live}
          aria-keyshortcuts={isMac ? 'Meta+Enter' : 'Control+Enter'}>
          {exec.live ? <><span className="rb-spinner" aria-hidden="true" /> {exec.queued ? 'Waiting…' : 'Running…'}</> : blocked ? `Run (wait ${exec.blockedSeconds} s)` : 'Run'}
        </button>
        {exercise && (
          <button type="button" className="rb-btn rb-submit" onClick={() => sub.submit(codeRef.current)} disabled={sub.submitting || exec.live}
            aria-busy={sub.submitting}>
            {sub.submitting ? <><span className="rb-spinner" aria-hidden="true" /> Checking…</> : 'Submit'}
          </button>
        )}
        <button type="button" className="rb-btn" onClick={exec.stop} disabled={!exec.live || exec.stopping}>Stop</button>
        <button type="button" className="rb-btn" onClick={reset} disabled={!edited}>Reset</button>
        <button type="button" className="rb-btn" onClick={copy}>{copied ? 'Copied' : 'Copy'}</button>
        <span className={`rb-badge rb-badge-${exec.status}`} role="status" aria-live="polite" data-testid="status">
          {live}
        </span>
        {exec.elapsed !== null && <span className="rb-elapsed" aria-hidden={exec.live}>{exec.elapsed.toFixed(exec.live ? 1 : 2)} s</span>}
        {exec.limit !== null && exec.remaining !== null && (
          <span className="rb-quota" title="Runs left in the current period">{exec.remaining}/{exec.limit} runs left</span>
        )}
      </div>
      <p id={hintId} className="rb-hint">
        {isMac ? '⌘' : 'Ctrl'}+Enter runs. Once you type in the editor, Tab indents: press Esc, then Tab, to move on.
      </p>
      {blocked && (
        <p className="rb-ratelimit" role="alert" data-testid="ratelimit">
          Run limit reached. You can run again in <strong>{exec.blockedSeconds} s</strong>.
        </p>
      )}
      {exercise && !sub.result && !sub.error && (
        <p className="rb-hint rb-exercise-hint">
          Submit checks your code against this exercise's tests
          {block.hidden_tests ? ': the examples in the lesson and some hidden ones.' : '.'}
        </p>
      )}
      {sub.error && <p className="rb-ratelimit" role="alert">Could not submit: {sub.error}</p>}
      {sub.result && <TestResults result={sub.result} />}
      {exec.warnings.length > 0 && (
        <ul className="rb-warnings">{exec.warnings.map((w, i) => <li key={i}>{w}</li>)}</ul>
      )}
      {shown && (
        <TerminalOutput
          terminal={exec.terminal}
          version={exec.outputVersion}
          status={exec.status}
          result={exec.result}
          environment={exec.environment}
          language={block.language}
          elapsed={exec.elapsed}
          acceptsInput={exec.acceptsInput}
          focusScope={root.current}
          onLine={exec.sendLine}
          onEof={exec.closeInput}
        />
      )}
    </section>
  )
}
