import { describe, expect, it } from 'vitest'
import { STDIN_DATA, STDIN_HEADER } from '../pyodide/protocol'
import type { RunEvent } from '../types'
import type { FromWasmWorker, ToWasmWorker } from './protocol'
import { WasmRunner, type WasmWorkerLike } from './runner'

// The page's side of the wasm environment, with a fake server and worker:
// what is fetched, what the worker is told, and how each ending is reported.

const emptyModule = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])

class FakeWorker implements WasmWorkerLike {
  onmessage: ((ev: MessageEvent<FromWasmWorker>) => void) | null = null
  onerror: ((ev: ErrorEvent | Event) => void) | null = null
  got: ToWasmWorker | null = null
  terminated = false
  postMessage(m: ToWasmWorker) {
    this.got = m
  }
  terminate() {
    this.terminated = true
  }
  send(m: FromWasmWorker) {
    this.onmessage?.({ data: m } as MessageEvent<FromWasmWorker>)
  }
}

function setup(compile: object, reporter?: { report: (r: unknown) => Promise<void> }) {
  const calls: string[] = []
  const workers: FakeWorker[] = []
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input)
    calls.push(`${init?.method ?? 'GET'} ${url}`)
    if (url.endsWith('/compile')) return new Response(JSON.stringify(compile), { headers: { 'Content-Type': 'application/json' } })
    return new Response(emptyModule, { headers: { 'Content-Type': 'application/wasm' } })
  }) as typeof fetch
  const runner = new WasmRunner({
    reporter: reporter as never,
    fetch: fetchFn,
    isolated: () => true,
    createWorker: () => {
      const w = new FakeWorker()
      workers.push(w)
      return w
    },
  })
  return { runner, calls, workers }
}

const ok = { ok: true, hash: 'ab'.repeat(32), url: '/api/v1/wasm/' + 'ab'.repeat(32), cached: false, status: 'success', error: null, diagnostics: [] }

async function until(cond: () => boolean) {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(cond()).toBe(true)
}

describe('WasmRunner', () => {
  it('compiles, fetches the module once by hash and streams the worker output', async () => {
    const { runner, calls, workers } = setup(ok)
    for (let i = 0; i < 2; i++) {
      const h = runner.run({ code: 'int main(){}', language: 'c', environment: 'wasm', stdin: '' })
      const events: RunEvent[] = []
      h.on((e) => events.push(e))
      await until(() => workers.length === i + 1 && workers[i].got !== null)
      const w = workers[i]
      expect(w.got!.stdin).toBeNull()
      w.send({ type: 'started' })
      w.send({ type: 'output', stream: 'stdout', text: 'hello\n' })
      w.send({ type: 'done', exitCode: 0, elapsed: 0.01, truncated: false, message: null })
      const r = await h.done
      expect(r.status).toBe('success')
      expect(r.environment).toBe('wasm')
      expect(events.map((e) => e.type)).toEqual(['start', 'output', 'complete'])
      expect(w.terminated).toBe(true)
    }
    expect(calls.filter((c) => c.startsWith('GET'))).toEqual([`GET ${ok.url}`])
    expect(calls.filter((c) => c.startsWith('POST'))).toHaveLength(2)
  })

  it('reports a run the browser did to the server (history), not one that never ran', async () => {
    const reports: Array<Record<string, unknown>> = []
    const { runner, workers } = setup(ok, { report: async (r) => void reports.push(r as Record<string, unknown>) })
    const h = runner.run({ code: 'fn main(){}', language: 'rust', environment: 'wasm', stdin: '', codeBlockId: 'b1' })
    await until(() => workers.length === 1 && workers[0].got !== null)
    workers[0].send({ type: 'started' })
    workers[0].send({ type: 'output', stream: 'stdout', text: 'hi\n' })
    workers[0].send({ type: 'done', exitCode: 3, elapsed: 0.02, truncated: false, message: null })
    expect((await h.done).status).toBe('error')
    expect(reports).toEqual([expect.objectContaining({ environment: 'wasm', language: 'rust', status: 'error', exit_code: 3, output: 'hi\n', code_block_id: 'b1' })])
    const stopped = runner.run({ code: 'fn main(){}', language: 'rust', environment: 'wasm' })
    await stopped.stop()
    expect(reports).toHaveLength(1)
  })

  it('shows a compile failure without starting a worker', async () => {
    const { runner, workers } = setup({ ok: false, cached: false, status: 'error', error: 'main.c:1:5: error: nope\n', diagnostics: [{ line: 1, column: 5, severity: 'error', message: 'nope' }] })
    const h = runner.run({ code: 'x', language: 'c', environment: 'wasm' })
    const out: string[] = []
    h.on((e) => e.type === 'output' && out.push(e.text))
    const r = await h.done
    expect(r.status).toBe('error')
    expect(r.stage).toBe('compile')
    expect(out.join('')).toContain('main.c:1:5')
    expect(workers).toHaveLength(0)
  })

  it('feeds interactive input through the shared buffer when the program waits', async () => {
    const { runner, workers } = setup(ok)
    const h = runner.run({ code: 'int main(){}', language: 'c', environment: 'wasm' })
    await h.sendInput('42\n') // before the worker exists: queued
    await until(() => workers.length === 1 && workers[0].got !== null)
    const w = workers[0]
    const sab = w.got!.stdin!
    w.send({ type: 'started' })
    w.send({ type: 'stdin-wait' })
    const ctl = new Int32Array(sab, 0, 2)
    expect(Atomics.load(ctl, 0)).toBe(STDIN_DATA)
    expect(new TextDecoder().decode(new Uint8Array(sab, STDIN_HEADER, Atomics.load(ctl, 1)))).toBe('42\n')
    await h.stop()
    expect((await h.done).status).toBe('cancelled')
    expect(w.terminated).toBe(true)
  })

  it('terminates the worker at the time limit', async () => {
    const { runner, workers } = setup(ok)
    const h = runner.run({ code: 'loop', language: 'rust', environment: 'wasm', timeout: 0.05, stdin: '' })
    await until(() => workers.length === 1)
    workers[0].send({ type: 'started' })
    const r = await h.done
    expect(r.status).toBe('timeout')
    expect(workers[0].terminated).toBe(true)
  })
})

describe('AutoRunner with wasm', () => {
  it('runs env=wasm in the browser when it can, else on the server (wazero)', async () => {
    const { AutoRunner } = await import('../auto')
    const place = (isolated: boolean) => {
      const wasm = new WasmRunner({ isolated: () => isolated, createWorker: () => new FakeWorker() })
      const auto = new AutoRunner({} as never, {} as never, { wasm })
      return auto.place({ code: 'x', language: 'rust', environment: 'wasm' })
    }
    expect((await place(true)).where).toBe('wasm')
    const fallback = await place(false)
    expect(fallback.where).toBe('server')
    expect(fallback.warnings.join(' ')).toMatch(/used the server/)
  })
})
