import { BaseHandle, emptyResult } from '../handle'
import { defaultIsolated } from '../pyodide/client'
import { STDIN_CAPACITY, STDIN_DATA, STDIN_EMPTY, STDIN_EOF, STDIN_HEADER } from '../pyodide/protocol'
import { REPORT_OUTPUT_CHARS, type ExecutionReport, type Reporter } from '../pyodide/report'
import type { QuotaStore } from '../quota'
import type { RunHandle, RunRequest, RunResult, Runner } from '../types'
import type { FromWasmWorker, ToWasmWorker } from './protocol'

// Runs C, C++ and Rust in the learner's browser: the server compiles the
// block (POST /api/v1/wasm/compile, in its sandbox, cached by source), the
// page fetches the module by hash (immutable, so the HTTP cache keeps it)
// and runs it in a fresh worker with a WASI shim. Stop and the time limit
// terminate that worker.

export interface WasmWorkerLike {
  postMessage(m: ToWasmWorker): void
  terminate(): void
  onmessage: ((ev: MessageEvent<FromWasmWorker>) => void) | null
  onerror: ((ev: ErrorEvent | Event) => void) | null
}

export interface WasmRunnerOptions {
  baseUrl?: string
  fetch?: typeof fetch
  createWorker?: () => WasmWorkerLike
  isolated?: () => boolean
  defaultTimeout?: number
  outputChars?: number
  quota?: QuotaStore
  /** Where runs that happened in the browser are reported (history, stats). */
  reporter?: Reporter
}

export const WASM_LANGUAGES = ['c', 'c++', 'cpp', 'rust']

function defaultWorker(): WasmWorkerLike {
  return new Worker(new URL('./wasm.worker.ts', import.meta.url), { type: 'module', name: 'wasm' }) as unknown as WasmWorkerLike
}

interface CompileResponse {
  ok: boolean
  hash?: string
  url?: string
  cached: boolean
  status: RunResult['status']
  error: string | null
  diagnostics: Array<{ line: number; column: number; severity: string; message: string }>
}

export class WasmRunner implements Runner {
  readonly o: Required<Omit<WasmRunnerOptions, 'quota' | 'reporter'>> & { quota?: QuotaStore; reporter?: Reporter }
  /** Compiled WebAssembly.Module by hash: a second run skips fetch and compile. */
  readonly modules = new Map<string, Promise<WebAssembly.Module>>()

  constructor(opts: WasmRunnerOptions = {}) {
    this.o = {
      baseUrl: opts.baseUrl ?? '/api/v1/wasm',
      fetch: opts.fetch ?? ((i, init) => globalThis.fetch(i, init)),
      createWorker: opts.createWorker ?? defaultWorker,
      isolated: opts.isolated ?? defaultIsolated,
      defaultTimeout: opts.defaultTimeout ?? 30,
      outputChars: opts.outputChars ?? 10_000,
      quota: opts.quota,
      reporter: opts.reporter,
    }
  }

  /** The browser can run a module with input and Stop. */
  supported(): boolean {
    const workers = this.o.createWorker !== defaultWorker || typeof Worker === 'function'
    return typeof WebAssembly === 'object' && workers && this.o.isolated()
  }

  run(req: RunRequest): RunHandle {
    const h = new WasmRun(req, this)
    void h.start()
    return h
  }

  module(hash: string, url: string): Promise<WebAssembly.Module> {
    let m = this.modules.get(hash)
    if (!m) {
      m = (async () => {
        const res = await this.o.fetch(url, { credentials: 'same-origin' })
        if (!res.ok) throw new Error(`module ${res.status}`)
        return WebAssembly.compileStreaming ? WebAssembly.compileStreaming(res) : WebAssembly.compile(await res.arrayBuffer())
      })()
      m.catch(() => this.modules.delete(hash))
      this.modules.set(hash, m)
    }
    return m
  }
}

let seq = 0

class WasmRun extends BaseHandle {
  private worker: WasmWorkerLike | null = null
  private limit: ReturnType<typeof setTimeout> | null = null
  private ctl: Int32Array | null = null
  private bytes: Uint8Array | null = null
  private queue: Array<{ data?: Uint8Array; eof?: boolean }> = []
  private stopped = false
  private t0 = 0
  private out = ''
  private err = ''

  constructor(
    private req: RunRequest,
    private r: WasmRunner,
  ) {
    super(req.stdin === undefined)
    this.runId = `wasm-${Date.now().toString(36)}-${(++seq).toString(36)}`
  }

  private result(status: RunResult['status'], patch: Partial<RunResult> = {}) {
    return emptyResult(status, { environment: 'wasm', ...patch })
  }

  async start() {
    let c: CompileResponse
    try {
      const res = await this.r.o.fetch(`${this.r.o.baseUrl}/compile`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ language: this.req.language, code: this.req.code }),
      })
      this.r.o.quota?.fromHeaders(res.headers)
      const body = await res.json()
      if (!res.ok) {
        const status = res.status === 429 ? 'rate_limited' : res.status === 503 ? 'busy' : 'failed'
        const ra = Number(res.headers.get('Retry-After'))
        return this.finish(this.result(status, { message: body?.error ?? `compile failed (${res.status})`, retryAfter: ra > 0 ? ra : null }))
      }
      c = body as CompileResponse
    } catch (err) {
      return this.finish(this.result('network_error', { message: `Could not reach the server to compile: ${String(err)}` }))
    }
    if (this.stopped) return
    this.emit({ type: 'start', id: this.runId!, environment: 'wasm', language: this.req.language, warnings: [] })
    if (!c.ok || !c.hash || !c.url) {
      if (c.error) this.emit({ type: 'output', stream: 'stderr', text: c.error })
      return this.finish(this.result(c.status === 'success' ? 'error' : c.status, { stage: 'compile', message: 'Compilation failed', exitCode: null }))
    }
    let mod: WebAssembly.Module
    try {
      mod = await this.r.module(c.hash, c.url)
    } catch (err) {
      return this.finish(this.result('failed', { message: `Could not load the compiled program: ${String(err)}` }))
    }
    if (this.stopped) return
    this.launch(mod)
  }

  private launch(mod: WebAssembly.Module) {
    const w = this.r.o.createWorker()
    this.worker = w
    let sab: SharedArrayBuffer | null = null
    if (this.interactive) {
      sab = new SharedArrayBuffer(STDIN_HEADER + STDIN_CAPACITY)
      this.ctl = new Int32Array(sab, 0, 2)
      this.bytes = new Uint8Array(sab, STDIN_HEADER)
    }
    w.onmessage = (ev) => this.onMessage(ev.data)
    w.onerror = (ev) => this.end(this.result('failed', { message: `The wasm worker failed: ${(ev as ErrorEvent).message ?? 'error'}` }))
    w.postMessage({ type: 'run', module: mod, stdin: sab, fixedStdin: this.req.stdin ?? null, outputChars: this.r.o.outputChars })
    const secs = this.req.timeout ?? this.r.o.defaultTimeout
    this.t0 = performance.now()
    this.limit = setTimeout(() => {
      this.end(this.result('timeout', { executionTime: this.elapsed(), message: `Execution timed out after ${secs}s` }))
    }, secs * 1000)
  }

  private elapsed() {
    return (performance.now() - this.t0) / 1000
  }

  private onMessage(m: FromWasmWorker) {
    switch (m.type) {
      case 'started':
        this.t0 = performance.now()
        return
      case 'output':
        if (m.stream === 'stdout') this.out = keep(this.out, m.text)
        else this.err = keep(this.err, m.text)
        this.emit({ type: 'output', stream: m.stream, text: m.text })
        return
      case 'stdin-wait':
        this.pump()
        return
      case 'done': {
        const ok = m.exitCode === 0
        const msg = m.message ?? (ok ? null : m.exitCode === null ? 'The program crashed (WebAssembly trap)' : `Process exited with code ${m.exitCode}`)
        this.end(this.result(ok ? 'success' : 'error', { exitCode: m.exitCode ?? -1, executionTime: m.elapsed, truncated: m.truncated, message: msg }))
      }
    }
  }

  private end(r: RunResult) {
    if (this.limit) clearTimeout(this.limit)
    this.limit = null
    const ran = this.worker !== null
    this.worker?.terminate()
    this.worker = null
    if (this.isFinished()) return
    this.finish(r)
    if (ran) this.report(r)
  }

  /** Tells the server about a run it didn't see (it only compiled it). */
  private report(r: RunResult) {
    const reporter = this.r.o.reporter
    const lang = this.req.language.toLowerCase() === 'cpp' ? 'c++' : this.req.language.toLowerCase()
    const status = (['success', 'error', 'timeout', 'memory_limit', 'cancelled'] as const).find((s) => s === r.status)
    if (!reporter || !status || (lang !== 'c' && lang !== 'c++' && lang !== 'rust')) return
    const rep: ExecutionReport = {
      code: this.req.code, language: lang, environment: 'wasm', status,
      output: this.out, error: this.err || r.message || null,
      execution_time: Math.min(3600, Math.max(0, r.executionTime ?? 0)),
      exit_code: r.exitCode, truncated: r.truncated,
    }
    if (this.req.contentId) rep.content_id = this.req.contentId
    if (this.req.codeBlockId) rep.code_block_id = this.req.codeBlockId
    void reporter.report(rep)
  }

  private pump() {
    const ctl = this.ctl
    if (!ctl || Atomics.load(ctl, 0) !== STDIN_EMPTY) return
    const next = this.queue.shift()
    if (!next) return
    if (next.eof) Atomics.store(ctl, 0, STDIN_EOF)
    else {
      this.bytes!.set(next.data!)
      Atomics.store(ctl, 1, next.data!.length)
      Atomics.store(ctl, 0, STDIN_DATA)
    }
    Atomics.notify(ctl, 0)
  }

  async sendInput(text: string) {
    if (!this.interactive || this.isFinished()) return
    const b = new TextEncoder().encode(text)
    for (let i = 0; i < b.length; i += STDIN_CAPACITY) this.queue.push({ data: b.slice(i, i + STDIN_CAPACITY) })
    this.pump()
  }

  async closeInput() {
    if (!this.interactive || this.isFinished()) return
    this.queue.push({ eof: true })
    this.pump()
  }

  async stop() {
    if (this.isFinished()) return
    this.stopped = true
    this.end(this.result('cancelled', { executionTime: this.worker ? this.elapsed() : null, message: 'Stopped.' }))
  }
}

function keep(acc: string, more: string): string {
  return acc.length >= REPORT_OUTPUT_CHARS ? acc : (acc + more).slice(0, REPORT_OUTPUT_CHARS)
}
