/// <reference lib="webworker" />
import { ConsoleStdout, Fd, WASI, WASIProcExit, wasi } from '@bjorn3/browser_wasi_shim'
import { STDIN_DATA, STDIN_EMPTY, STDIN_EOF, STDIN_HEADER } from '../pyodide/protocol'
import type { FromWasmWorker, RunMessage } from './protocol'

// Runs one WASI program: stdio only (no preopened directory, no
// environment), stdout and stderr posted as they are written, stdin read
// from the shared buffer with Atomics.wait (the worker blocks like a read on
// a pipe). The page terminates this worker to stop the program.

const post = (m: FromWasmWorker) => (self as unknown as Worker).postMessage(m)

/** Thrown out of a write to end the run when output passes the cap. */
class Flooded extends Error {}

self.onmessage = (ev: MessageEvent<RunMessage>) => {
  if (ev.data.type === 'run') run(ev.data)
}

function run(m: RunMessage) {
  let chars = 0
  let truncated = false
  const out = (stream: 'stdout' | 'stderr') => {
    const dec = new TextDecoder('utf-8', { fatal: false })
    return new ConsoleStdout((bytes: Uint8Array) => {
      if (truncated) throw new Flooded()
      let text = dec.decode(bytes, { stream: true })
      const left = m.outputChars - chars
      if ([...text].length > left) {
        text = [...text].slice(0, Math.max(0, left)).join('')
        truncated = true
      }
      chars += [...text].length
      if (text) post({ type: 'output', stream, text })
    })
  }
  const stdin = m.stdin ? new SharedStdin(m.stdin) : new FixedStdin(new TextEncoder().encode(m.fixedStdin ?? ''))
  const w = new WASI(['main'], [], [stdin, out('stdout'), out('stderr')])
  post({ type: 'started' })
  const t0 = performance.now()
  let exitCode: number | null = null
  let message: string | null = null
  try {
    const inst = new WebAssembly.Instance(m.module, { wasi_snapshot_preview1: w.wasiImport })
    exitCode = w.start(inst as unknown as { exports: { memory: WebAssembly.Memory; _start: () => unknown } })
  } catch (err) {
    if (err instanceof WASIProcExit) exitCode = err.code
    else if (err instanceof Flooded) exitCode = null
    else message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  }
  const elapsed = (performance.now() - t0) / 1000
  if (message) post({ type: 'output', stream: 'stderr', text: `\n${message}\n` })
  post({ type: 'done', exitCode, elapsed, truncated, message: truncated && exitCode === null ? 'Output limit reached; the program was stopped' : null })
}

class FixedStdin extends Fd {
  private pos = 0
  constructor(private data: Uint8Array) {
    super()
  }
  fd_fdstat_get() {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_CHARACTER_DEVICE, 0) }
  }
  fd_read(size: number) {
    const chunk = this.data.slice(this.pos, this.pos + size)
    this.pos += chunk.length
    return { ret: 0, data: chunk }
  }
}

// SharedStdin returns what the page has sent (a short read), 0 at the end.
class SharedStdin extends Fd {
  private ctl: Int32Array
  private bytes: Uint8Array
  private pending = new Uint8Array(0)
  constructor(buf: SharedArrayBuffer) {
    super()
    this.ctl = new Int32Array(buf, 0, 2)
    this.bytes = new Uint8Array(buf, STDIN_HEADER)
  }
  fd_fdstat_get() {
    return { ret: 0, fdstat: new wasi.Fdstat(wasi.FILETYPE_CHARACTER_DEVICE, 0) }
  }
  fd_read(size: number) {
    let asked = false
    for (;;) {
      if (this.pending.length > 0) {
        const n = Math.min(size, this.pending.length)
        const data = this.pending.slice(0, n)
        this.pending = this.pending.subarray(n)
        return { ret: 0, data }
      }
      const s = Atomics.load(this.ctl, 0)
      if (s === STDIN_DATA) {
        this.pending = this.bytes.slice(0, Atomics.load(this.ctl, 1))
        Atomics.store(this.ctl, 0, STDIN_EMPTY)
        continue
      }
      if (s === STDIN_EOF) return { ret: 0, data: new Uint8Array(0) }
      if (!asked) {
        post({ type: 'stdin-wait' })
        asked = true
      }
      Atomics.wait(this.ctl, 0, STDIN_EMPTY)
    }
  }
}
