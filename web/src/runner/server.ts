import { BaseHandle, emptyResult } from './handle'
import { QuotaStore } from './quota'
import { SSEParser } from './sse'
import { parseImage } from './image'
import type { FinalStatus, RunHandle, RunRequest, RunResult, Runner } from './types'

// The server path: POST /execute/stream read as a fetch stream of SSE frames,
// input through /executions/{id}/stdin, Stop through /executions/{id}/cancel.

export interface ServerRunnerOptions {
  baseUrl?: string
  fetch?: typeof fetch
  quota?: QuotaStore
  /** How often a 503 (queue full) is retried before it is shown. */
  busyRetries?: number
  /** A Retry-After longer than this (s) is shown instead of waited for. */
  maxBusyWaitSeconds?: number
  /** No byte (not even the 15 s keep-alive) for this long means the connection is gone. */
  stallMs?: number
  /** After Stop, how long to wait for the server's `cancelled` before ending locally. */
  stopGraceMs?: number
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

const defaults = {
  baseUrl: '/api/v1/code',
  busyRetries: 3,
  maxBusyWaitSeconds: 10,
  stallMs: 45_000,
  stopGraceMs: 2_000,
}

const serverStatuses = new Set<FinalStatus>(['success', 'error', 'timeout', 'memory_limit', 'cancelled', 'rejected'])

export class ServerRunner implements Runner {
  readonly quota: QuotaStore
  private opts: Required<Omit<ServerRunnerOptions, 'quota'>>

  constructor(opts: ServerRunnerOptions = {}) {
    this.quota = opts.quota ?? new QuotaStore()
    this.opts = {
      baseUrl: opts.baseUrl ?? defaults.baseUrl,
      fetch: opts.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      busyRetries: opts.busyRetries ?? defaults.busyRetries,
      maxBusyWaitSeconds: opts.maxBusyWaitSeconds ?? defaults.maxBusyWaitSeconds,
      stallMs: opts.stallMs ?? defaults.stallMs,
      stopGraceMs: opts.stopGraceMs ?? defaults.stopGraceMs,
      sleep: opts.sleep ?? abortableSleep,
    }
  }

  run(req: RunRequest): RunHandle {
    const h = new ServerRun(req, this.opts, this.quota)
    void h.start()
    return h
  }

  /** Refreshes the quota from GET /stats; failures leave the last known values. */
  async refreshStats(): Promise<void> {
    try {
      const res = await this.opts.fetch(`${this.opts.baseUrl}/stats`, { credentials: 'same-origin' })
      if (!res.ok) return
      this.quota.fromStats(await res.json())
    } catch {
      // Stats are informative only; a failed refresh must not break the page.
    }
  }
}

class ServerRun extends BaseHandle {
  private abort = new AbortController()
  private stopRequested = false
  private pendingInput: Array<{ data?: string; eof?: boolean }> = []
  private stopTimer: ReturnType<typeof setTimeout> | null = null
  /** The program has its sandbox; input waits for this, Stop does not. */
  private started = false

  constructor(
    private req: RunRequest,
    private o: Required<Omit<ServerRunnerOptions, 'quota'>>,
    private quota: QuotaStore,
  ) {
    super(req.stdin === undefined)
  }

  async start() {
    try {
      const r = await this.attempts()
      this.finish(r)
    } catch (err) {
      this.finish(emptyResult('failed', { message: `Unexpected error: ${String(err)}` }))
    } finally {
      if (this.stopTimer) clearTimeout(this.stopTimer)
    }
  }

  private body(): string {
    const r = this.req
    const b: Record<string, unknown> = { code: r.code, language: r.language }
    // "auto" is the page's choice (runner/auto.ts); on this path the answer is the server.
    if (r.environment) b.environment = r.environment.toLowerCase() === 'auto' ? 'server' : r.environment
    if (r.timeout) b.timeout = r.timeout
    if (r.stdin !== undefined) b.stdin = r.stdin
    if (r.contentId) b.content_id = r.contentId
    if (r.codeBlockId) b.code_block_id = r.codeBlockId
    return JSON.stringify(b)
  }

  private async attempts(): Promise<RunResult> {
    for (let attempt = 1; ; attempt++) {
      let res: Response
      try {
        res = await this.o.fetch(`${this.o.baseUrl}/execute/stream`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
          body: this.body(),
          credentials: 'same-origin',
          signal: this.abort.signal,
        })
      } catch (err) {
        if (this.stopRequested) return emptyResult('cancelled', { message: 'Stopped before the program started.' })
        return emptyResult('network_error', { message: `Could not reach the server (${errText(err)}).` })
      }
      this.quota.fromHeaders(res.headers)
      if (res.ok) return this.readStream(res)

      const retryAfter = retryAfterSeconds(res.headers)
      const { msg, code } = await errorBody(res)
      if (res.status === 429) {
        const wait = retryAfter ?? 60
        this.quota.block(wait)
        return emptyResult('rate_limited', { message: msg ?? 'Too many runs.', retryAfter: wait })
      }
      if (res.status === 503 && code === 'environment_unavailable') {
        // Not a matter of waiting: this server lacks what the block needs.
        return emptyResult('unavailable', { message: msg ?? 'This environment is not available on this server.' })
      }
      if (res.status === 503) {
        const wait = retryAfter ?? 1
        if (attempt <= this.o.busyRetries && wait <= this.o.maxBusyWaitSeconds && !this.stopRequested) {
          this.emit({ type: 'retrying', attempt, maxAttempts: this.o.busyRetries, delaySeconds: wait, reason: msg ?? 'Server busy' })
          try {
            await this.o.sleep(wait * 1000, this.abort.signal)
          } catch {
            return emptyResult('cancelled', { message: 'Stopped while waiting for a free sandbox.' })
          }
          if (this.stopRequested) return emptyResult('cancelled', { message: 'Stopped while waiting for a free sandbox.' })
          continue
        }
        return emptyResult('busy', { message: msg ?? 'The server is busy.', retryAfter: wait })
      }
      if (res.status === 422) return emptyResult('rejected', { message: msg ?? 'The code was rejected.' })
      return emptyResult('failed', { message: msg ?? `The server answered ${res.status}.` })
    }
  }

  private async readStream(res: Response): Promise<RunResult> {
    if (!res.body) return emptyResult('failed', { message: 'The server sent no stream.' })
    const reader = res.body.getReader()
    const parser = new SSEParser()
    let stalled = false
    let watchdog: ReturnType<typeof setTimeout> | null = null
    const arm = () => {
      if (watchdog) clearTimeout(watchdog)
      watchdog = setTimeout(() => {
        stalled = true
        this.abort.abort()
      }, this.o.stallMs)
    }
    let environment: string | null = null
    arm()
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>
        try {
          chunk = await reader.read()
        } catch (err) {
          return this.lost(stalled ? 'no data from the server for a while' : errText(err))
        }
        arm()
        const frames = chunk.done ? parser.end() : parser.push(chunk.value)
        for (const f of frames) {
          let ev: Record<string, unknown>
          try {
            ev = JSON.parse(f.data)
          } catch {
            continue // not ours; the format promises JSON frames
          }
          switch (ev.type) {
            case 'queued': {
              // A queued run already has an id, so Stop can cancel it by id.
              if (typeof ev.id === 'string' && ev.id !== '') this.runId = ev.id
              this.emit({
                type: 'queued',
                id: this.runId,
                position: typeof ev.position === 'number' ? ev.position : 0,
                estimatedWait: typeof ev.estimated_wait === 'number' ? ev.estimated_wait : 0,
              })
              break
            }
            case 'start':
              this.started = true
              this.runId = String(ev.id ?? '')
              environment = typeof ev.environment === 'string' ? ev.environment : null
              this.emit({
                type: 'start',
                id: this.runId,
                environment: environment ?? 'server',
                language: String(ev.language ?? this.req.language),
                warnings: Array.isArray(ev.warnings) ? ev.warnings.map(String) : [],
              })
              void this.flushInput()
              if (this.stopRequested) void this.sendCancel()
              break
            case 'output':
            case 'error':
              if (typeof ev.content === 'string' && ev.content !== '') {
                this.emit({ type: 'output', stream: ev.type === 'output' ? 'stdout' : 'stderr', text: ev.content })
              }
              break
            case 'image': {
              const img = parseImage(ev)
              if (img) this.emit({ type: 'image', ...img })
              break
            }
            case 'complete': {
              const status = serverStatuses.has(ev.status as FinalStatus) ? (ev.status as FinalStatus) : 'failed'
              return emptyResult(status, {
                exitCode: typeof ev.exit_code === 'number' ? ev.exit_code : null,
                executionTime: typeof ev.execution_time === 'number' ? ev.execution_time : null,
                truncated: ev.truncated === true,
                message: typeof ev.error === 'string' && ev.error !== '' ? ev.error : null,
                environment,
                stage: typeof ev.stage === 'string' ? ev.stage : null,
                ...(typeof ev.images_dropped === 'number' && ev.images_dropped > 0 ? { imagesDropped: ev.images_dropped } : {}),
              })
            }
          }
        }
        if (chunk.done) return this.lost('the stream ended before the program did')
      }
    } finally {
      if (watchdog) clearTimeout(watchdog)
      reader.cancel().catch(() => {})
    }
  }

  private lost(why: string): RunResult {
    if (this.stopRequested) return emptyResult('cancelled', { message: 'Stopped.' })
    return emptyResult('network_error', {
      message: `Connection lost: ${why}. The program's outcome is unknown.`,
    })
  }

  async sendInput(text: string) {
    await this.input({ data: text })
  }

  async closeInput() {
    await this.input({ eof: true })
  }

  private async input(msg: { data?: string; eof?: boolean }) {
    if (!this.interactive || this.isFinished()) return
    if (!this.started) {
      this.pendingInput.push(msg)
      return
    }
    await this.post(`executions/${encodeURIComponent(String(this.runId))}/stdin`, msg)
  }

  private async flushInput() {
    const q = this.pendingInput
    this.pendingInput = []
    for (const m of q) {
      try {
        await this.post(`executions/${encodeURIComponent(this.runId!)}/stdin`, m)
      } catch {
        // The run ended or the link failed; the stream reports which.
      }
    }
  }

  async stop() {
    if (this.isFinished() || this.stopRequested) return
    this.stopRequested = true
    // If the server does not confirm in time, end locally: dropping the
    // connection also cancels the run on the server.
    this.stopTimer = setTimeout(() => this.abort.abort(), this.o.stopGraceMs)
    if (this.runId === null) {
      this.abort.abort() // no id yet (or waiting to retry): the server drops it
      return
    }
    await this.sendCancel()
  }

  private async sendCancel() {
    try {
      await this.post(`executions/${encodeURIComponent(this.runId!)}/cancel`, {})
    } catch {
      this.abort.abort()
    }
  }

  private async post(path: string, body: unknown) {
    const res = await this.o.fetch(`${this.o.baseUrl}/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    })
    if (!res.ok) {
      throw new Error((await errorBody(res)).msg ?? `HTTP ${res.status}`)
    }
  }
}

function retryAfterSeconds(h: Headers): number | null {
  const v = h.get('Retry-After')
  if (v === null) return null
  const n = Number(v)
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n))
  const t = Date.parse(v)
  return Number.isNaN(t) ? null : Math.max(0, Math.ceil((t - Date.now()) / 1000))
}

async function errorBody(res: Response): Promise<{ msg: string | null; code: string | null }> {
  try {
    const j = await res.json()
    return { msg: typeof j?.error === 'string' ? j.error : null, code: typeof j?.code === 'string' ? j.code : null }
  } catch {
    return { msg: null, code: null }
  }
}

function errText(err: unknown): string {
  if (err instanceof Error) return err.message || err.name
  return String(err)
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
