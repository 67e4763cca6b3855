import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { TerminalModel } from '../runner/terminal'
import type { RunHandle, RunRequest, RunResult, RunStatus } from '../runner/types'
import { useRunner } from './RunnerContext'

export interface Retrying {
  attempt: number
  maxAttempts: number
  delaySeconds: number
  reason: string
}

export interface Queued {
  /** 1 = next to start. */
  position: number
  /** Seconds, the server's estimate. */
  estimatedWait: number
}

export interface CodeExecution {
  status: RunStatus
  /** True from Run until the outcome is known. */
  live: boolean
  /** Stop was pressed and the outcome is not known yet. */
  stopping: boolean
  /** True while the program can take input typed into the terminal. */
  acceptsInput: boolean
  result: RunResult | null
  environment: string | null
  warnings: string[]
  retrying: Retrying | null
  /** Set while the run waits in the server's queue for a sandbox. */
  queued: Queued | null
  /** Seconds since Run (client clock) while live; the server's time afterwards. */
  elapsed: number | null
  terminal: TerminalModel
  /** Changes whenever the terminal's content changed. */
  outputVersion: number
  /** Runs left in this period, when the server limits the caller. */
  remaining: number | null
  limit: number | null
  /** Seconds until Run is allowed again after a 429; 0 when allowed. */
  blockedSeconds: number
  run(code: string): void
  stop(): void
  sendLine(line: string): void
  closeInput(): void
}

export type ExecutionTarget = Omit<RunRequest, 'code'>

// Output renders at most this often; a chunk after a quiet spell renders at once,
// so the first line of a run shows without waiting for a frame.
const renderEveryMs = 33

export function useCodeExecution(target: ExecutionTarget): CodeExecution {
  const runner = useRunner()
  const quota = useSyncExternalStore(
    (cb) => runner.quota.subscribe(cb),
    () => runner.quota.get(),
  )
  const termRef = useRef<TerminalModel | null>(null)
  termRef.current ??= new TerminalModel()
  const term = termRef.current
  const handleRef = useRef<RunHandle | null>(null)
  const targetRef = useRef(target)
  targetRef.current = target

  const [status, setStatus] = useState<RunStatus>('idle')
  const [result, setResult] = useState<RunResult | null>(null)
  const [environment, setEnvironment] = useState<string | null>(null)
  const [warnings, setWarnings] = useState<string[]>([])
  const [retrying, setRetrying] = useState<Retrying | null>(null)
  const [queued, setQueued] = useState<Queued | null>(null)
  const [outputVersion, setOutputVersion] = useState(0)
  const [startedAt, setStartedAt] = useState<number | null>(null)
  const [stopping, setStopping] = useState(false)
  const [now, setNow] = useState(() => Date.now())
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null)
  const lastFlush = useRef(0)

  const live = status === 'starting' || status === 'running'
  // The server's quota doesn't hold back a block the browser may run.
  const serverBound = runner.runsOnServer?.(target) ?? true
  // Read the clock here, not `now`: a 429 that just arrived must count from the present.
  const blockedSeconds =
    serverBound && quota.blockedUntil !== null ? Math.max(0, Math.ceil((quota.blockedUntil - Date.now()) / 1000)) : 0

  // A clock for the elapsed time and the 429 countdown; idle otherwise.
  useEffect(() => {
    if (!live && blockedSeconds === 0) return
    const t = setInterval(() => setNow(Date.now()), live ? 100 : 250)
    return () => clearInterval(t)
  }, [live, blockedSeconds > 0])

  const bump = useCallback(() => {
    if (flushTimer.current) return
    const flush = () => {
      flushTimer.current = null
      lastFlush.current = performance.now()
      setOutputVersion(term.version)
    }
    const wait = lastFlush.current + renderEveryMs - performance.now()
    if (wait <= 0) flush()
    else flushTimer.current = setTimeout(flush, wait)
  }, [term])

  useEffect(() => () => void (flushTimer.current && clearTimeout(flushTimer.current)), [])

  const run = useCallback(
    (code: string) => {
      const prev = handleRef.current?.status()
      if (prev === 'starting' || prev === 'running') return
      if (runner.quota.secondsBlocked() > 0 && (runner.runsOnServer?.(targetRef.current) ?? true)) return
      term.clear()
      setOutputVersion(term.version)
      setResult(null)
      setEnvironment(null)
      setWarnings([])
      setRetrying(null)
      setQueued(null)
      setStopping(false)
      setStatus('starting')
      const t0 = Date.now()
      setStartedAt(t0)
      setNow(t0)
      const h = runner.run({ ...targetRef.current, code })
      handleRef.current = h
      h.on((ev) => {
        if (handleRef.current !== h) return
        switch (ev.type) {
          case 'start':
            setEnvironment(ev.environment)
            setWarnings(ev.warnings)
            setRetrying(null)
            setQueued(null)
            setStatus('running')
            break
          case 'output':
            term.write(ev.stream, ev.text)
            bump()
            break
          case 'queued':
            setRetrying(null)
            setQueued({ position: ev.position, estimatedWait: ev.estimatedWait })
            break
          case 'image':
            term.image({ mime: ev.mime, data: ev.data, alt: ev.alt })
            bump()
            break
          case 'retrying':
            setQueued(null)
            setRetrying({ attempt: ev.attempt, maxAttempts: ev.maxAttempts, delaySeconds: ev.delaySeconds, reason: ev.reason })
            break
          case 'complete':
            setRetrying(null)
            setQueued(null)
            setStopping(false)
            setResult(ev.result)
            if (ev.result.imagesDropped) term.note(`(${ev.result.imagesDropped} more figure${ev.result.imagesDropped === 1 ? '' : 's'} not shown: the run's image budget is used up)`)
            if (ev.result.environment) setEnvironment(ev.result.environment)
            setStatus(ev.result.status)
            setOutputVersion(term.version)
            break
        }
      })
    },
    [runner, term, bump],
  )

  const stop = useCallback(() => {
    const h = handleRef.current
    if (!h || (h.status() !== 'starting' && h.status() !== 'running')) return
    setStopping(true)
    void h.stop()
  }, [])

  const sendLine = useCallback(
    (line: string) => {
      const h = handleRef.current
      if (!h || !h.interactive) return
      term.echo(line + '\n')
      setOutputVersion(term.version)
      h.sendInput(line + '\n').catch((err: unknown) => {
        term.note(`(input not delivered: ${err instanceof Error ? err.message : String(err)})`)
        setOutputVersion(term.version)
      })
    },
    [term],
  )

  const closeInput = useCallback(() => {
    void handleRef.current?.closeInput().catch(() => {})
  }, [])

  // Leaving the page (or unmounting the block) stops its run.
  useEffect(() => () => void handleRef.current?.stop(), [])

  let elapsed: number | null = null
  if (live && startedAt !== null) elapsed = Math.max(0, (now - startedAt) / 1000)
  else if (result?.executionTime != null) elapsed = result.executionTime

  return {
    status,
    live,
    stopping: live && stopping,
    acceptsInput: live && (handleRef.current?.interactive ?? false),
    result,
    environment,
    warnings,
    retrying,
    queued,
    elapsed,
    terminal: term,
    outputVersion,
    remaining: quota.remaining,
    limit: quota.limit,
    blockedSeconds,
    run,
    stop,
    sendLine,
    closeInput,
  }
}
