import { BaseHandle, emptyResult } from '../handle'
import type { RunHandle, RunRequest, RunResult, Runner } from '../types'
import type { PyodideClient, RunSink } from './client'
import type { DoneMessage, ImageMessage, OutputMessage } from './protocol'
import { REPORT_OUTPUT_CHARS, type ExecutionReport, type Reporter } from './report'

// Runs Python in the learner's browser through the Pyodide worker, with the
// same handle, events and results as the server path (environment "pyodide").

export interface PyodideRunnerOptions {
  /** How long a program may ignore Stop before its worker is replaced. */
  stopGraceMs?: number
  /** The time limit when the request has none (the server's default). */
  defaultTimeout?: number
  reporter?: Reporter | null
}

export class PyodideRunner implements Runner {
  private opts: Required<Omit<PyodideRunnerOptions, 'reporter'>>
  private reporter: Reporter | null

  constructor(
    readonly client: PyodideClient,
    opts: PyodideRunnerOptions = {},
  ) {
    this.opts = { stopGraceMs: opts.stopGraceMs ?? 1000, defaultTimeout: opts.defaultTimeout ?? 30 }
    this.reporter = opts.reporter ?? null
  }

  run(req: RunRequest, warnings: string[] = []): RunHandle {
    const h = new PyodideRun(req, this.client, this.opts, this.reporter, warnings)
    void h.start()
    return h
  }
}

type Ending = 'stop' | 'timeout' | null

let seq = 0

class PyodideRun extends BaseHandle implements RunSink {
  private ending: Ending = null
  private running = false
  private watchdog: ReturnType<typeof setTimeout> | null = null
  private limit: ReturnType<typeof setTimeout> | null = null
  private t0 = 0
  private out = ''
  private err = ''
  /** Input given before the program was handed to the worker. */
  private early: Array<{ data?: string; eof?: boolean }> | null = []

  constructor(
    private req: RunRequest,
    private client: PyodideClient,
    private o: Required<Omit<PyodideRunnerOptions, 'reporter'>>,
    private reporter: Reporter | null,
    private warnings: string[],
  ) {
    super(req.stdin === undefined)
    this.runId = `pyodide-${Date.now().toString(36)}-${(++seq).toString(36)}`
  }

  async start() {
    const ok = await this.client.load()
    if (this.isFinished()) return // stopped while Python was loading
    if (!ok) {
      this.finish(emptyResult('failed', { environment: 'pyodide', message: `Python could not start in the browser: ${this.client.failure ?? 'unknown error'}.` }))
      return
    }
    if (this.client.busy) {
      this.finish(emptyResult('busy', { environment: 'pyodide', message: 'Another program is running in the browser; stop it first.' }))
      return
    }
    try {
      this.client.run(this.req.code, this, this.req.stdin)
    } catch (err) {
      this.finish(emptyResult('failed', { environment: 'pyodide', message: String(err) }))
      return
    }
    for (const m of this.early ?? []) {
      if (m.eof) this.client.closeInput()
      else this.client.sendInput(m.data!)
    }
    this.early = null
  }

  onStarted() {
    this.running = true
    this.t0 = performance.now()
    this.emit({ type: 'start', id: this.runId!, environment: 'pyodide', language: 'python', warnings: this.warnings })
    const secs = this.req.timeout ?? this.o.defaultTimeout
    this.limit = setTimeout(() => this.end('timeout'), secs * 1000)
  }

  onOutput(m: OutputMessage) {
    if (m.stream === 'stdout') this.out = keep(this.out, m.text)
    else this.err = keep(this.err, m.text)
    this.emit({ type: 'output', stream: m.stream, text: m.text })
  }

  onImage(m: ImageMessage) {
    this.emit({ type: 'image', mime: m.mime, data: m.data, alt: m.alt })
  }

  onDone(m: DoneMessage) {
    this.clearTimers()
    let r: RunResult
    if (m.message) {
      r = emptyResult('failed', { environment: 'pyodide', message: m.message })
    } else if (m.status === 'cancelled' && this.ending === 'timeout') {
      r = this.timedOut(m.elapsed, false)
    } else if (m.status === 'cancelled') {
      r = emptyResult('cancelled', { environment: 'pyodide', executionTime: m.elapsed, truncated: m.truncated, message: 'Stopped.' })
    } else {
      r = emptyResult(m.status, {
        environment: 'pyodide', exitCode: m.exitCode, executionTime: m.elapsed, truncated: m.truncated,
        ...(m.imagesDropped ? { imagesDropped: m.imagesDropped } : {}),
      })
    }
    this.complete(r)
  }

  onLost(why: string) {
    this.clearTimers()
    const elapsed = this.running ? (performance.now() - this.t0) / 1000 : null
    if (this.ending === 'timeout') return this.complete(this.timedOut(elapsed ?? 0, true))
    if (this.ending === 'stop') {
      return this.complete(emptyResult('cancelled', {
        environment: 'pyodide', executionTime: elapsed,
        message: `Stopped (the Python worker was restarted: the program did not respond to Stop within ${this.o.stopGraceMs / 1000} s).`,
      }))
    }
    this.complete(emptyResult('failed', { environment: 'pyodide', executionTime: elapsed, message: `${why}.` }))
  }

  private timedOut(elapsed: number, restarted: boolean): RunResult {
    const secs = this.req.timeout ?? this.o.defaultTimeout
    return emptyResult('timeout', {
      environment: 'pyodide', executionTime: elapsed,
      message: `Execution timed out after ${secs}s` + (restarted ? ' (the Python worker was restarted: the program did not respond).' : ''),
    })
  }

  private complete(r: RunResult) {
    this.finish(r)
    if (this.running) this.sendReport(r)
  }

  private sendReport(r: RunResult) {
    if (!this.reporter) return
    const reportable = ['success', 'error', 'timeout', 'memory_limit', 'cancelled'] as const
    const status = reportable.find((s) => s === r.status)
    if (!status) return
    const rep: ExecutionReport = {
      code: this.req.code,
      language: 'python',
      environment: 'pyodide',
      status,
      output: this.out,
      error: this.err || r.message || null,
      execution_time: Math.min(3600, Math.max(0, r.executionTime ?? 0)),
      exit_code: r.exitCode,
      truncated: r.truncated || this.out.length >= REPORT_OUTPUT_CHARS || this.err.length >= REPORT_OUTPUT_CHARS,
    }
    if (this.req.contentId) rep.content_id = this.req.contentId
    if (this.req.codeBlockId) rep.code_block_id = this.req.codeBlockId
    // Fire and forget: the reporter queues what fails.
    void this.reporter.report(rep)
  }

  /** Interrupts the program; if it doesn't end within the grace, the worker is replaced. */
  private end(why: Exclude<Ending, null>) {
    if (this.isFinished() || this.ending) return
    this.ending = why
    this.client.interruptRun()
    this.watchdog = setTimeout(() => {
      if (!this.isFinished()) this.client.restart('the program did not respond')
    }, this.o.stopGraceMs)
  }

  private clearTimers() {
    if (this.watchdog) clearTimeout(this.watchdog)
    if (this.limit) clearTimeout(this.limit)
    this.watchdog = this.limit = null
  }

  async sendInput(text: string) {
    if (!this.interactive || this.isFinished()) return
    if (this.early) this.early.push({ data: text })
    else this.client.sendInput(text)
  }

  async closeInput() {
    if (!this.interactive || this.isFinished()) return
    if (this.early) this.early.push({ eof: true })
    else this.client.closeInput()
  }

  async stop() {
    if (this.isFinished()) return
    if (!this.running && !this.client.busy) {
      // Still waiting for Python to load: nothing runs yet.
      this.finish(emptyResult('cancelled', { environment: 'pyodide', message: 'Stopped before the program started.' }))
      return
    }
    this.end('stop')
  }
}

function keep(acc: string, more: string): string {
  return acc.length >= REPORT_OUTPUT_CHARS ? acc : (acc + more).slice(0, REPORT_OUTPUT_CHARS)
}
