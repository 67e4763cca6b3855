import { BaseHandle, emptyResult } from './handle'
import type { PyodideClient } from './pyodide/client'
import type { PyodideRunner } from './pyodide/runner'
import type { QuotaStore } from './quota'
import type { RunHandle, RunRequest, Runner } from './types'
import type { WasmRunner } from './wasm/runner'

// Where a block runs. env=auto (the default): in the browser when the page
// is cross-origin isolated, Python loaded there, and every import of the
// block is available there; on the server otherwise. env=pyodide insists on
// the browser (a missing import then fails there, as the author asked),
// falling back to the server only when the browser can't run Python at all;
// env=server (or docker) always uses the server.

/** The runner a page needs: runs, plus the server quota it shows. */
export interface PageRunner extends Runner {
  readonly quota: QuotaStore
  refreshStats(): Promise<void>
  /**
   * False when the request may run in the browser, where the server's run
   * quota doesn't apply (so a 429 must not disable it). Absent: always the server.
   */
  runsOnServer?(req: Omit<RunRequest, 'code'>): boolean
  /** Told the blocks of a lesson once it is on screen (to preload what they need). */
  prepare?(blocks: Array<{ language: string; environment?: string }>): void
}

export interface AutoRunnerOptions {
  /** How long an auto block waits for Python that is still loading before it uses the server. */
  loadWaitMs?: number
  prepare?: PageRunner['prepare']
  /** Runs env=wasm blocks in the browser; without it (or when the browser can't) they run in the server's wazero. */
  wasm?: WasmRunner
}

export type Placement = { where: 'pyodide' | 'server' | 'wasm'; warnings: string[] }

export class AutoRunner implements PageRunner {
  private loadWaitMs: number
  readonly prepare?: PageRunner['prepare']
  readonly wasm?: WasmRunner

  constructor(
    readonly server: PageRunner,
    readonly browser: PyodideRunner,
    opts: AutoRunnerOptions = {},
  ) {
    this.loadWaitMs = opts.loadWaitMs ?? 5000
    this.prepare = opts.prepare
    this.wasm = opts.wasm
  }

  get client(): PyodideClient {
    return this.browser.client
  }

  get quota() {
    return this.server.quota
  }

  refreshStats() {
    return this.server.refreshStats()
  }

  runsOnServer(req: Omit<RunRequest, 'code'>): boolean {
    const env = (req.environment ?? 'auto').toLowerCase()
    if ((env !== 'auto' && env !== 'pyodide') || req.language.toLowerCase() !== 'python') return true
    const s = this.client.state
    return s === 'failed' || s === 'unsupported'
  }

  run(req: RunRequest): RunHandle {
    const h = new RoutedRun(req.stdin === undefined)
    void this.place(req).then(
      (p) => h.attach(() => this.start(p, req), p.warnings, p.where),
      (err) => h.fail(err),
    )
    return h
  }

  private start(p: Placement, req: RunRequest): RunHandle {
    if (p.where === 'pyodide') return this.browser.run(req, p.warnings)
    if (p.where === 'wasm') return this.wasm!.run(req)
    return this.server.run(serverRequest(req))
  }

  /** Decides where req runs; never rejects. */
  async place(req: RunRequest): Promise<Placement> {
    const env = (req.environment ?? 'auto').toLowerCase()
    const server = (warnings: string[] = []): Placement => ({ where: 'server', warnings })
    if (env === 'wasm') {
      // The learner's CPU runs it when the page can give it input and Stop;
      // else the server runs the same module in wazero.
      if (this.wasm?.supported()) return { where: 'wasm', warnings: [] }
      return server(this.wasm ? ['This browser cannot run WebAssembly with input and Stop here, so this run used the server.'] : [])
    }
    if (env !== 'auto' && env !== 'pyodide') return server()
    if (req.language.toLowerCase() !== 'python') return server()
    const forced = env === 'pyodide'
    const c = this.client
    if (c.state === 'unsupported') {
      return server(forced ? [`Ran on the server: ${c.failure}.`] : [])
    }
    const loading = c.load()
    const ready = forced ? await loading : await Promise.race([loading, delay(this.loadWaitMs).then(() => false)])
    if (!ready) {
      if (c.state === 'failed') return server([`Python could not start in this browser (${c.failure}), so this run used the server.`])
      return server(forced ? ['Python is still loading in this browser, so this run used the server.'] : [])
    }
    if (forced) return { where: 'pyodide', warnings: [] }
    if (c.busy) return server(['Another program is running in this browser, so this one ran on the server.'])
    let missing: string[]
    try {
      missing = (await c.analyze(req.code)).missing
    } catch {
      return server()
    }
    return missing.length === 0 ? { where: 'pyodide', warnings: [] } : server()
  }
}

/** The server knows server, docker and pyodide; auto is this page's choice. */
function serverRequest(req: RunRequest): RunRequest {
  const env = (req.environment ?? '').toLowerCase()
  return { ...req, environment: env === 'auto' || env === 'pyodide' || env === '' ? 'server' : req.environment }
}

function delay(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms))
}

/**
 * A handle that exists before the choice is made: input and Stop given
 * before then are passed on (or end the run) once the real run exists.
 */
class RoutedRun extends BaseHandle {
  private inner: RunHandle | null = null
  private early: Array<{ data?: string; eof?: boolean }> = []
  private stopped = false

  attach(make: () => RunHandle, warnings: string[], where: string) {
    if (this.stopped) return // Stop came first: don't start anything
    const inner = make()
    this.inner = inner
    inner.on((ev) => {
      if (ev.type === 'start') {
        this.runId = ev.id
        // The browser run carries the warnings itself; the server's get ours added.
        const extra = where === 'server' ? warnings : []
        this.emit({ ...ev, warnings: [...extra, ...ev.warnings] })
      } else if (ev.type === 'complete') {
        this.finish(ev.result)
      } else {
        this.emit(ev)
      }
    })
    for (const m of this.early) void (m.eof ? inner.closeInput() : inner.sendInput(m.data!))
    this.early = []
  }

  fail(err: unknown) {
    this.finish(emptyResult('failed', { message: `Unexpected error: ${String(err)}` }))
  }

  async sendInput(text: string) {
    if (this.inner) return this.inner.sendInput(text)
    this.early.push({ data: text })
  }

  async closeInput() {
    if (this.inner) return this.inner.closeInput()
    this.early.push({ eof: true })
  }

  async stop() {
    if (this.inner) return this.inner.stop()
    if (this.stopped || this.isFinished()) return
    this.stopped = true
    this.finish(emptyResult('cancelled', { message: 'Stopped before the program started.' }))
  }
}
