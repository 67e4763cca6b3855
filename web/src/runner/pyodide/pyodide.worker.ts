/// <reference lib="webworker" />
// The Pyodide worker: loads Python once, then runs one program at a time,
// each in a fresh __main__. A run blocks this thread, so Stop and input
// arrive through shared memory (see protocol.ts), not messages.

import type { PyodideAPI } from 'pyodide'
import {
  STDIN_DATA,
  STDIN_EMPTY,
  STDIN_EOF,
  STDIN_HEADER,
  type AnalysisMessage,
  type FromWorker,
  type InitMessage,
  type ToWorker,
} from './protocol'
import { helperSource } from './python'

declare const self: DedicatedWorkerGlobalScope

let py: PyodideAPI | null = null
let init: InitMessage | null = null
let ctl: Int32Array
let stdinBytes: Uint8Array
/** Import name → package, for the packages the server serves. */
let servedImports = new Map<string, string>()
let queue: Promise<void> = Promise.resolve()

const post = (m: FromWorker) => self.postMessage(m)

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data
  // One message at a time: a run must not start while packages of the
  // previous one are still loading.
  queue = queue.then(() => handle(m)).catch((err) => console.error('pyodide worker:', err))
}

async function handle(m: ToWorker) {
  switch (m.type) {
    case 'init':
      return load(m)
    case 'packages':
      return setPackages(m.packages)
    case 'analyze':
      if (py) post(safeAnalyze(m.id, m.code))
      return
    case 'run':
      if (py) await run(m.id, m.code)
      return
  }
}

async function load(m: InitMessage) {
  init = m
  ctl = new Int32Array(m.stdin, 0, 2)
  stdinBytes = new Uint8Array(m.stdin, STDIN_HEADER)
  const t0 = performance.now()
  try {
    const mod = (await import(/* @vite-ignore */ new URL('pyodide.mjs', new URL(m.indexURL, self.location.href)).href)) as typeof import('pyodide')
    const p = await mod.loadPyodide({ indexURL: m.indexURL, env: { HOME: '/home/pyodide', MPLBACKEND: 'AGG' } })
    p.setInterruptBuffer(new Uint8Array(m.interrupt))
    p.setStdin({ read: readStdin, isatty: true })
    p.setStdout(writer('stdout'))
    p.setStderr(writer('stderr'))
    p.registerJsModule('_rb_worker', { sleep, image })
    p.runPython(helperSource)
    py = p
    const pythonVersion = String(p.runPython('import sys; sys.version.split()[0]'))
    post({ type: 'ready', pythonVersion, pyodideVersion: p.version, loadMs: performance.now() - t0 })
  } catch (err) {
    post({ type: 'load-error', message: err instanceof Error ? err.message : String(err) })
  }
}

function setPackages(names: string[]) {
  if (!py) return
  const served = new Set(names)
  servedImports = new Map()
  for (const [name, pkg] of Object.entries(py.lockfile.packages)) {
    if (!served.has(name)) continue
    for (const imp of pkg.imports ?? []) servedImports.set(imp, name)
  }
}

// An analysis that fails must still be answered, or the page would wait
// for it forever; "missing" sends the block to the server.
function safeAnalyze(id: number, code: string): AnalysisMessage {
  try {
    return analyze(id, code)
  } catch (err) {
    console.error('pyodide worker: analysis failed', err)
    return { type: 'analysis', id, imports: [], missing: ['(analysis failed)'], packages: [], syntaxError: false }
  }
}

function analyze(id: number, code: string): AnalysisMessage {
  const fn = py!.globals.get('_rb_analyze')
  const r = fn(code)
  const [imports, syntaxError] = r.toJs() as [string[], boolean]
  r.destroy()
  fn.destroy()
  const importable = py!.globals.get('_rb_importable')
  const missing: string[] = []
  const packages = new Set<string>()
  for (const name of imports) {
    if (importable(name)) continue
    const pkg = servedImports.get(name)
    if (pkg) packages.add(pkg)
    else missing.push(name)
  }
  importable.destroy()
  return { type: 'analysis', id, imports, missing, packages: [...packages], syntaxError }
}

// Output is passed on as it is written; past the run's limit it is counted
// as truncated and dropped, like the server's output_chars.
let runId = 0
let written = 0
let truncated = false

function writer(stream: 'stdout' | 'stderr') {
  const dec = new TextDecoder()
  return {
    isatty: true,
    write(buf: Uint8Array): number {
      let text = dec.decode(buf, { stream: true })
      const room = (init?.outputChars ?? 10_000) - written
      if (text.length > room) {
        text = text.slice(0, Math.max(0, room))
        truncated = true
      }
      written += text.length
      if (text) post({ type: 'output', id: runId, stream, text })
      return buf.length
    },
  }
}

// Figures per run: like the server's image budget, past it they are counted, not sent.
const maxImages = 20
const maxImageChars = 4 * 1024 * 1024
let images = 0
let imageChars = 0
let imagesDropped = 0

function image(data: string, alt: string) {
  if (images >= maxImages || imageChars + data.length > maxImageChars) {
    imagesDropped++
    return
  }
  images++
  imageChars += data.length
  post({ type: 'image', id: runId, mime: 'image/png', data, alt })
}

async function run(id: number, code: string) {
  const p = py!
  runId = id
  written = 0
  truncated = false
  images = imageChars = imagesDropped = 0
  const a = safeAnalyze(id, code)
  if (a.packages.length > 0) {
    let failure = ''
    try {
      await p.loadPackage(a.packages, { messageCallback: () => {}, errorCallback: (msg: string) => (failure ||= msg) })
    } catch (err) {
      failure ||= err instanceof Error ? err.message : String(err)
    }
    if (failure) {
      post({ type: 'done', id, status: 'error', exitCode: null, elapsed: 0, truncated: false, message: `Could not load ${a.packages.join(', ')} in the browser: ${failure}` })
      return
    }
  }
  if (a.imports.includes('matplotlib')) {
    try {
      p.runPython('_rb_mpl_setup()')
    } catch (err) {
      // Without the hook the program still runs; it just shows no figures.
      console.error('pyodide worker: matplotlib setup failed', err)
    }
  }
  Atomics.store(ctl, 0, STDIN_EMPTY)
  pending = new Uint8Array(0)
  post({ type: 'started', id })
  const fn = p.globals.get('_rb_run')
  const t0 = performance.now()
  let exitCode: number | null = 1
  let status: 'success' | 'error' | 'cancelled' = 'error'
  let message: string | null = null
  try {
    const r = fn(code)
    ;[exitCode, status] = r.toJs() as [number | null, typeof status]
    r.destroy()
  } catch (err) {
    // Only a fault of the interpreter itself lands here: _rb_run catches
    // everything the program can raise.
    message = `The Python runtime failed: ${err instanceof Error ? err.message : String(err)}`
  } finally {
    fn.destroy()
  }
  const elapsed = (performance.now() - t0) / 1000
  post({ type: 'done', id, status, exitCode, elapsed, truncated, message, ...(imagesDropped ? { imagesDropped } : {}) })
}

// sleep replaces time.sleep: Pyodide's own doesn't notice Stop, so a
// program sleeping for 10 s would need the watchdog's worker restart. It
// blocks the thread without burning CPU and checks for Stop every 50 ms.
const sleepCell = new Int32Array(new SharedArrayBuffer(4))

function sleep(seconds: number) {
  const end = performance.now() + seconds * 1000
  for (;;) {
    const left = end - performance.now()
    if (left <= 0) return
    Atomics.wait(sleepCell, 0, 0, Math.min(50, left))
    py!.checkInterrupt()
  }
}

// readStdin blocks until the page puts input in the shared buffer, like a
// read(2) on a pipe: it returns what is there (a short read), 0 at the end.
// It wakes every 100 ms to let Pyodide raise KeyboardInterrupt if Stop was
// pressed. Pyodide's read handler is used rather than its string handler,
// which keeps asking until its 8 KiB buffer is full.
let pending: Uint8Array = new Uint8Array(0)

function readStdin(buf: Uint8Array): number {
  let asked = false
  for (;;) {
    if (pending.length > 0) {
      const n = Math.min(buf.length, pending.length)
      buf.set(pending.subarray(0, n))
      pending = pending.subarray(n)
      return n
    }
    const s = Atomics.load(ctl, 0)
    if (s === STDIN_DATA) {
      pending = stdinBytes.slice(0, Atomics.load(ctl, 1))
      Atomics.store(ctl, 0, STDIN_EMPTY)
      continue
    }
    // EOF stays set: every later read sees the end too, as with a closed pipe.
    if (s === STDIN_EOF) return 0
    if (!asked) {
      post({ type: 'stdin-wait', id: runId })
      asked = true
    }
    Atomics.wait(ctl, 0, STDIN_EMPTY, 100)
    py!.checkInterrupt()
  }
}
