import {
  SIGINT,
  STDIN_CAPACITY,
  STDIN_DATA,
  STDIN_EMPTY,
  STDIN_EOF,
  STDIN_HEADER,
  type AnalysisMessage,
  type DoneMessage,
  type FromWorker,
  type OutputMessage,
  type ImageMessage,
  type WorkerLike,
} from './protocol'

// The page's side of the Pyodide worker: spawns it, loads Python once,
// answers "can this code run here?", and drives one run at a time. When a
// run ignores Stop, the worker is thrown away and a new one loads.

export type WorkerState = 'idle' | 'loading' | 'ready' | 'failed' | 'unsupported'

export interface PyodideInfo {
  pythonVersion: string
  pyodideVersion: string
  loadMs: number
}

export interface PyodideClientOptions {
  /** Where the runtime is served; the worker imports pyodide.mjs from here. */
  indexURL?: string
  createWorker?: () => WorkerLike
  /** Names of the packages whose wheels are served (GET /environments); rejects when the runtime is not served. */
  packages?: () => Promise<string[]>
  outputChars?: number
  /** Whether SharedArrayBuffer may be used (the page is cross-origin isolated). */
  isolated?: () => boolean
}

export interface Analysis {
  imports: string[]
  missing: string[]
  packages: string[]
  syntaxError: boolean
}

/** What a run hears from the worker. */
export interface RunSink {
  onStarted(): void
  onOutput(m: OutputMessage): void
  onImage?(m: ImageMessage): void
  onDone(m: DoneMessage): void
  /** The worker died or was replaced mid-run. */
  onLost(why: string): void
}

export function defaultIsolated(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true
}

function defaultWorker(): WorkerLike {
  return new Worker(new URL('./pyodide.worker.ts', import.meta.url), { type: 'module', name: 'pyodide' }) as unknown as WorkerLike
}

export class PyodideClient {
  state: WorkerState = 'idle'
  failure: string | null = null
  info: PyodideInfo | null = null
  /** Times the worker was terminated and replaced. */
  restarts = 0

  private worker: WorkerLike | null = null
  private loading: Promise<boolean> | null = null
  private settleLoad: ((ok: boolean) => void) | null = null
  /** Settles when the worker answers init: null when Python is up, else why not. */
  private booted: ((failure: string | null) => void) | null = null
  private interrupt: Uint8Array | null = null
  private ctl: Int32Array | null = null
  private stdinBytes: Uint8Array | null = null
  private stdinQueue: Array<{ data?: Uint8Array; eof?: boolean }> = []
  private nextId = 1
  private analyses = new Map<number, (a: Analysis) => void>()
  private sink: RunSink | null = null
  private runningId = 0
  private listeners = new Set<(s: WorkerState) => void>()
  private opts: Required<PyodideClientOptions>

  constructor(opts: PyodideClientOptions = {}) {
    this.opts = {
      indexURL: opts.indexURL ?? '/pyodide/',
      createWorker: opts.createWorker ?? defaultWorker,
      packages: opts.packages ?? (async () => []),
      outputChars: opts.outputChars ?? 10_000,
      isolated: opts.isolated ?? defaultIsolated,
    }
  }

  onState(l: (s: WorkerState) => void): () => void {
    this.listeners.add(l)
    return () => void this.listeners.delete(l)
  }

  private setState(s: WorkerState, failure: string | null = null) {
    this.state = s
    this.failure = failure
    for (const l of this.listeners) l(s)
  }

  /** True while a program runs (the worker can't take another). */
  get busy(): boolean {
    return this.sink !== null
  }

  /** Loads Pyodide once; resolves true when ready. Safe to call often. */
  load(): Promise<boolean> {
    if (this.state === 'ready') return Promise.resolve(true)
    if (this.state === 'failed' || this.state === 'unsupported') return Promise.resolve(false)
    if (this.loading) return this.loading
    if (!this.opts.isolated()) {
      this.setState('unsupported', 'the page is not cross-origin isolated (no SharedArrayBuffer), so input() and Stop could not work in the browser')
      return Promise.resolve(false)
    }
    this.loading = new Promise<boolean>((resolve) => (this.settleLoad = resolve))
    this.setState('loading')
    void this.spawn()
    return this.loading
  }

  // The worker starts loading at once; the package list (GET /environments,
  // slow on a fresh server) is fetched meanwhile and handed over before the
  // client says ready, so the first analysis already knows it.
  private async spawn() {
    const interrupt = new SharedArrayBuffer(1)
    const stdin = new SharedArrayBuffer(STDIN_HEADER + STDIN_CAPACITY)
    this.interrupt = new Uint8Array(interrupt)
    this.ctl = new Int32Array(stdin, 0, 2)
    this.stdinBytes = new Uint8Array(stdin, STDIN_HEADER)
    const packages = this.opts.packages().then(
      (p) => ({ ok: true as const, p }),
      (err: unknown) => ({ ok: false as const, why: errText(err) }),
    )
    let w: WorkerLike
    try {
      w = this.opts.createWorker()
    } catch (err) {
      return this.loaded(false, `the worker could not start (${errText(err)})`)
    }
    this.worker = w
    const booted = new Promise<string | null>((resolve) => (this.booted = resolve))
    w.onmessage = (ev) => {
      if (this.worker === w) this.onMessage(ev.data)
    }
    w.onerror = (ev) => {
      if (this.worker !== w) return
      const msg = (ev as ErrorEvent).message || 'the worker script failed to load'
      if (this.state === 'loading') return this.booted?.(msg)
      this.crashed(`the Python worker failed (${msg})`)
    }
    w.postMessage({ type: 'init', indexURL: this.opts.indexURL, interrupt, stdin, outputChars: this.opts.outputChars })
    const [pk, failure] = await Promise.all([packages, booted])
    if (this.worker !== w) return
    if (failure !== null) return this.loaded(false, failure)
    if (!pk.ok) return this.loaded(false, pk.why)
    w.postMessage({ type: 'packages', packages: pk.p })
    this.loaded(true)
  }

  private loaded(ok: boolean, failure: string | null = null) {
    const settle = this.settleLoad
    this.settleLoad = null
    this.booted = null
    this.loading = null
    if (!ok) {
      this.worker?.terminate()
      this.worker = null
    }
    this.setState(ok ? 'ready' : 'failed', failure)
    settle?.(ok)
  }

  private onMessage(m: FromWorker) {
    switch (m.type) {
      case 'ready':
        this.info = { pythonVersion: m.pythonVersion, pyodideVersion: m.pyodideVersion, loadMs: m.loadMs }
        return this.booted?.(null)
      case 'load-error':
        return this.booted?.(m.message)
      case 'analysis':
        return this.analysisDone(m)
      case 'started':
        if (m.id === this.runningId) this.sink?.onStarted()
        return
      case 'output':
        if (m.id === this.runningId) this.sink?.onOutput(m)
        return
      case 'image':
        if (m.id === this.runningId) this.sink?.onImage?.(m)
        return
      case 'stdin-wait':
        if (m.id === this.runningId) this.pumpInput()
        return
      case 'done': {
        if (m.id !== this.runningId) return
        const s = this.sink
        this.sink = null
        s?.onDone(m)
        return
      }
    }
  }

  private analysisDone(m: AnalysisMessage) {
    const f = this.analyses.get(m.id)
    this.analyses.delete(m.id)
    f?.({ imports: m.imports, missing: m.missing, packages: m.packages, syntaxError: m.syntaxError })
  }

  /** What the code imports and whether the browser has it. Needs a ready, idle worker. */
  analyze(code: string): Promise<Analysis> {
    if (this.state !== 'ready' || !this.worker) return Promise.reject(new Error('Python in the browser is not loaded'))
    const id = this.nextId++
    return new Promise((resolve) => {
      this.analyses.set(id, resolve)
      this.worker!.postMessage({ type: 'analyze', id, code })
    })
  }

  /** Starts a program; the worker must be ready and idle. */
  run(code: string, sink: RunSink, stdin?: string): void {
    if (this.state !== 'ready' || !this.worker) throw new Error('Python in the browser is not loaded')
    if (this.sink) throw new Error('the Python worker is busy')
    // A Stop that arrived after the previous program ended must not hit this one.
    Atomics.store(this.interrupt!, 0, 0)
    Atomics.store(this.ctl!, 0, STDIN_EMPTY)
    Atomics.store(this.ctl!, 1, 0)
    this.stdinQueue = []
    const id = this.nextId++
    this.runningId = id
    this.sink = sink
    if (stdin !== undefined) {
      this.sendInput(stdin)
      this.closeInput()
    }
    this.worker.postMessage({ type: 'run', id, code })
  }

  sendInput(text: string) {
    // Split on characters, not bytes, so no chunk ends inside a UTF-8 sequence.
    const enc = new TextEncoder()
    let chunk = ''
    for (const ch of text) {
      if ((chunk.length + ch.length) * 3 > STDIN_CAPACITY) {
        this.stdinQueue.push({ data: enc.encode(chunk) })
        chunk = ''
      }
      chunk += ch
    }
    if (chunk) this.stdinQueue.push({ data: enc.encode(chunk) })
    this.pumpInput()
  }

  closeInput() {
    this.stdinQueue.push({ eof: true })
    this.pumpInput()
  }

  /** Hands the next queued chunk to the worker once it took the previous one. */
  private pumpInput() {
    const ctl = this.ctl
    if (!ctl || !this.sink || Atomics.load(ctl, 0) !== STDIN_EMPTY) return
    const next = this.stdinQueue.shift()
    if (!next) return
    if (next.eof) {
      Atomics.store(ctl, 0, STDIN_EOF)
    } else {
      this.stdinBytes!.set(next.data!)
      Atomics.store(ctl, 1, next.data!.length)
      Atomics.store(ctl, 0, STDIN_DATA)
    }
    Atomics.notify(ctl, 0)
  }

  /** Asks the running program to stop (KeyboardInterrupt at its next check). */
  interruptRun() {
    if (this.interrupt) Atomics.store(this.interrupt, 0, SIGINT)
  }

  /**
   * Throws the worker away (a program that ignores KeyboardInterrupt) and
   * loads a fresh one in the background. The current run hears `lost`.
   */
  restart(why: string) {
    this.restarts++
    this.crashed(why)
    void this.load()
  }

  private crashed(why: string) {
    this.worker?.terminate()
    this.worker = null
    const s = this.sink
    this.sink = null
    this.runningId = 0
    for (const f of this.analyses.values()) f({ imports: [], missing: ['(worker lost)'], packages: [], syntaxError: false })
    this.analyses.clear()
    this.info = null
    this.setState('idle')
    s?.onLost(why)
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message || err.name : String(err)
}
