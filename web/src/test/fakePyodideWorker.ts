// A stand-in for the Pyodide worker that speaks the real protocol over the
// real shared buffers, with "programs" written in JS by the test. It lets
// the client, runner and routing be tested without loading Python.
import {
  STDIN_DATA,
  STDIN_EMPTY,
  STDIN_EOF,
  STDIN_HEADER,
  type DoneMessage,
  type FromWorker,
  type InitMessage,
  type ToWorker,
  type WorkerLike,
} from '../runner/pyodide/protocol'

export interface ProgramIO {
  write(text: string, stream?: 'stdout' | 'stderr'): void
  /** A figure, as the worker's plt.show() hook posts it. */
  image(data: string, alt: string): void
  /** Resolves with the next chunk of input, null at EOF; rejects with 'KeyboardInterrupt' on Stop. */
  read(): Promise<string | null>
  /** True once Stop (or the time limit) wrote SIGINT into the interrupt buffer. */
  interrupted(): boolean
  /** Waits until interrupted (a loop that checks signals). */
  spin(): Promise<void>
  /** Never returns and never checks signals (C code in a tight loop). */
  hang(): Promise<never>
}

export type Program = (io: ProgramIO) => Promise<Partial<Pick<DoneMessage, 'status' | 'exitCode'>> | void>

const tick = () => new Promise((r) => setTimeout(r, 2))

export class FakePyodideWorker implements WorkerLike {
  onmessage: ((ev: MessageEvent<FromWorker>) => void) | null = null
  onerror: ((ev: ErrorEvent | Event) => void) | null = null
  received: ToWorker[] = []
  terminated = false
  init: InitMessage | null = null
  packages: string[] | null = null

  constructor(
    private world: FakePyodide,
    readonly index: number,
  ) {}

  postMessage(m: ToWorker) {
    this.received.push(m)
    queueMicrotask(() => void this.handle(m))
  }

  terminate() {
    this.terminated = true
  }

  private send(m: FromWorker) {
    if (!this.terminated) this.onmessage?.({ data: m } as MessageEvent<FromWorker>)
  }

  private async handle(m: ToWorker) {
    if (this.terminated) return
    switch (m.type) {
      case 'init':
        this.init = m
        await this.world.bootDelay()
        if (this.world.loadError) this.send({ type: 'load-error', message: this.world.loadError })
        else this.send({ type: 'ready', pythonVersion: '3.14.2', pyodideVersion: '314.0.7', loadMs: 1 })
        return
      case 'packages':
        this.packages = m.packages
        return
      case 'analyze': {
        const imports = [...m.code.matchAll(/^\s*(?:import|from)\s+([A-Za-z_]\w*)/gm)].map((x) => x[1])
        const served = new Set(this.packages ?? [])
        const missing = imports.filter((i) => !this.world.stdlib.has(i) && !served.has(i))
        const packages = imports.filter((i) => served.has(i))
        this.send({ type: 'analysis', id: m.id, imports, missing, packages, syntaxError: false })
        return
      }
      case 'run':
        return this.run(m.id, m.code)
    }
  }

  private async run(id: number, code: string) {
    const init = this.init!
    const irq = new Uint8Array(init.interrupt)
    const ctl = new Int32Array(init.stdin, 0, 2)
    const bytes = new Uint8Array(init.stdin, STDIN_HEADER)
    const program = this.world.programs.get(code)
    if (!program) throw new Error(`no fake program for ${JSON.stringify(code)}`)
    this.send({ type: 'started', id })
    const t0 = Date.now()
    const io: ProgramIO = {
      write: (text, stream = 'stdout') => this.send({ type: 'output', id, stream, text }),
      image: (data, alt) => this.send({ type: 'image', id, mime: 'image/png', data, alt }),
      interrupted: () => Atomics.load(irq, 0) === 2,
      read: async () => {
        let asked = false
        for (;;) {
          if (this.terminated) return new Promise<never>(() => {})
          const s = Atomics.load(ctl, 0)
          if (s === STDIN_DATA) {
            const text = new TextDecoder().decode(bytes.slice(0, Atomics.load(ctl, 1)))
            Atomics.store(ctl, 0, STDIN_EMPTY)
            return text
          }
          if (s === STDIN_EOF) return null
          if (!asked) {
            this.send({ type: 'stdin-wait', id })
            asked = true
          }
          if (io.interrupted()) throw new Error('KeyboardInterrupt')
          await tick()
        }
      },
      spin: async () => {
        while (!io.interrupted()) await tick()
        throw new Error('KeyboardInterrupt')
      },
      hang: () => new Promise<never>(() => {}),
    }
    let status: DoneMessage['status'] = 'success'
    let exitCode: number | null = 0
    try {
      const r = await program(io)
      if (r?.status) status = r.status
      if (r && 'exitCode' in r) exitCode = r.exitCode ?? null
    } catch (err) {
      if (String(err).includes('KeyboardInterrupt')) {
        status = 'cancelled'
        exitCode = null
      } else throw err
    }
    this.send({ type: 'done', id, status, exitCode, elapsed: (Date.now() - t0) / 1000, truncated: false, message: null })
  }
}

/** All workers a test's client spawned, and the programs they know. */
export class FakePyodide {
  workers: FakePyodideWorker[] = []
  programs = new Map<string, Program>()
  stdlib = new Set(['math', 'json', 'random', 'sys', 'time'])
  loadError: string | null = null
  /** Resolves when a worker may report ready; tests can hold it back. */
  bootDelay: () => Promise<void> = async () => {}

  create = (): WorkerLike => {
    const w = new FakePyodideWorker(this, this.workers.length)
    this.workers.push(w)
    return w
  }

  get current(): FakePyodideWorker {
    return this.workers[this.workers.length - 1]
  }

  program(code: string, p: Program) {
    this.programs.set(code, p)
    return code
  }
}
