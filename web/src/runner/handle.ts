import type { FinalStatus, RunEvent, RunHandle, RunListener, RunResult, RunStatus } from './types'

// The part of a run handle every transport shares: listeners, status and a
// done promise that settles exactly once.

export function emptyResult(status: FinalStatus, patch: Partial<RunResult> = {}): RunResult {
  return {
    status,
    exitCode: null,
    executionTime: null,
    truncated: false,
    message: null,
    environment: null,
    stage: null,
    retryAfter: null,
    id: null,
    ...patch,
  }
}

export abstract class BaseHandle implements RunHandle {
  readonly done: Promise<RunResult>
  protected runId: string | null = null
  protected current: RunStatus = 'starting'
  private listeners = new Set<RunListener>()
  private resolve!: (r: RunResult) => void
  private finished = false

  constructor(readonly interactive: boolean) {
    this.done = new Promise((res) => (this.resolve = res))
  }

  id() {
    return this.runId
  }

  status() {
    return this.current
  }

  isFinished() {
    return this.finished
  }

  on(listener: RunListener) {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  protected emit(ev: RunEvent) {
    if (this.finished) return
    if (ev.type === 'start') this.current = 'running'
    for (const l of this.listeners) {
      try {
        l(ev)
      } catch (err) {
        console.error('runblock: run listener failed', err)
      }
    }
  }

  /** Ends the run; later calls are ignored so the first outcome wins. */
  protected finish(result: RunResult) {
    if (this.finished) return
    const r = { ...result, id: result.id ?? this.runId }
    this.emit({ type: 'complete', result: r })
    this.finished = true
    this.current = r.status
    this.resolve(r)
  }

  abstract sendInput(text: string): Promise<void>
  abstract closeInput(): Promise<void>
  abstract stop(): Promise<void>
}
