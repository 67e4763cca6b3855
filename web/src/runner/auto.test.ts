import { describe, expect, it } from 'vitest'
import { FakePyodide } from '../test/fakePyodideWorker'
import { FakeServer, type LiveStream } from '../test/fakeServer'
import { AutoRunner } from './auto'
import { PyodideClient } from './pyodide/client'
import { PyodideRunner } from './pyodide/runner'
import { ServerRunner } from './server'
import type { RunEvent, RunRequest } from './types'

function setup(opts: { isolated?: boolean; loadWaitMs?: number } = {}) {
  const fake = new FakePyodide()
  const srv = new FakeServer()
  const client = new PyodideClient({ createWorker: fake.create, isolated: () => opts.isolated ?? true, packages: async () => ['numpy'] })
  const auto = new AutoRunner(new ServerRunner({ fetch: srv.fetch, sleep: async () => {} }), new PyodideRunner(client, { stopGraceMs: 30 }), {
    loadWaitMs: opts.loadWaitMs ?? 1000,
  })
  fake.program('print("hi")', async (io) => io.write('hi\n'))
  fake.program('import numpy\nprint(numpy)', async (io) => io.write('numpy in the browser\n'))
  fake.program('import pandas\nprint(1)', async (io) => {
    io.write('ModuleNotFoundError: No module named pandas\n', 'stderr')
    return { status: 'error', exitCode: 1 }
  })
  return { fake, srv, client, auto }
}

/** Answers the next /execute/stream like the server does for a quick run. */
function serverAnswers(srv: FakeServer, text = 'from the server\n') {
  srv.answerStream((s: LiveStream) => {
    s.event({ type: 'start', id: 'srv-1', environment: 'server', language: 'python', warnings: [] })
    s.event({ type: 'output', content: text })
    s.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 0.1 })
    s.close()
  })
}

async function runIt(auto: AutoRunner, req: RunRequest) {
  const h = auto.run(req)
  const events: RunEvent[] = []
  h.on((e) => events.push(e))
  const result = await h.done
  const start = events.find((e) => e.type === 'start')
  return { result, start: start?.type === 'start' ? start : null, events }
}

const executeCalls = (srv: FakeServer) => srv.posts('/execute/stream')

describe('AutoRunner', () => {
  it('runs pure Python in the browser without calling the server', async () => {
    const { srv, auto } = setup()
    const { result, start } = await runIt(auto, { code: 'print("hi")', language: 'python', environment: 'auto' })
    expect(result.environment).toBe('pyodide')
    expect(start?.environment).toBe('pyodide')
    expect(executeCalls(srv)).toHaveLength(0)
  })

  it('treats a block without env as auto', async () => {
    const { srv, auto } = setup()
    const { result } = await runIt(auto, { code: 'print("hi")', language: 'python' })
    expect(result.environment).toBe('pyodide')
    expect(executeCalls(srv)).toHaveLength(0)
  })

  it('runs a served package in the browser and an import the browser lacks on the server', async () => {
    const { srv, auto } = setup()
    expect((await runIt(auto, { code: 'import numpy\nprint(numpy)', language: 'python' })).result.environment).toBe('pyodide')
    serverAnswers(srv)
    const { result, start } = await runIt(auto, { code: 'import pandas\nprint(1)', language: 'python', environment: 'auto' })
    expect(result.environment).toBe('server')
    expect(start?.warnings).toEqual([])
    expect(executeCalls(srv)).toHaveLength(1)
    // The server knows no "auto": it is asked for its own sandbox.
    expect(executeCalls(srv)[0].body).toMatchObject({ environment: 'server', language: 'python' })
  })

  it('env=server and other languages always use the server', async () => {
    const { srv, auto, fake } = setup()
    serverAnswers(srv)
    serverAnswers(srv)
    expect((await runIt(auto, { code: 'print("hi")', language: 'python', environment: 'server' })).result.environment).toBe('server')
    expect((await runIt(auto, { code: 'int main(){}', language: 'c', environment: 'auto' })).result.environment).toBe('server')
    expect(executeCalls(srv).map((c) => (c.body as { environment: string }).environment)).toEqual(['server', 'server'])
    expect(fake.workers).toHaveLength(0)
  })

  it('env=pyodide insists on the browser: a missing import fails there, as the author asked', async () => {
    const { srv, auto } = setup()
    const { result } = await runIt(auto, { code: 'import pandas\nprint(1)', language: 'python', environment: 'pyodide' })
    expect(result).toMatchObject({ environment: 'pyodide', status: 'error' })
    expect(executeCalls(srv)).toHaveLength(0)
  })

  it('when Python fails to load, the run goes to the server and the terminal says why', async () => {
    const { srv, auto, fake } = setup()
    fake.loadError = 'Failed to fetch dynamically imported module'
    serverAnswers(srv)
    const { result, start } = await runIt(auto, { code: 'print("hi")', language: 'python' })
    expect(result.environment).toBe('server')
    expect(start?.warnings[0]).toContain('Python could not start in this browser (Failed to fetch dynamically imported module)')
    expect(start?.warnings[0]).toContain('used the server')
    // Forced pyodide falls back too: the browser can't run Python at all.
    serverAnswers(srv)
    const forced = await runIt(auto, { code: 'print("hi")', language: 'python', environment: 'pyodide' })
    expect(forced.result.environment).toBe('server')
    expect(forced.start?.warnings[0]).toContain('Python could not start')
  })

  it('without cross-origin isolation auto quietly uses the server; env=pyodide says why', async () => {
    const { srv, auto, fake } = setup({ isolated: false })
    serverAnswers(srv)
    serverAnswers(srv)
    const a = await runIt(auto, { code: 'print("hi")', language: 'python' })
    expect(a.result.environment).toBe('server')
    expect(a.start?.warnings).toEqual([])
    const f = await runIt(auto, { code: 'print("hi")', language: 'python', environment: 'pyodide' })
    expect(f.start?.warnings[0]).toContain('cross-origin isolated')
    expect(fake.workers).toHaveLength(0)
  })

  it('does not make an auto block wait long for Python that is still loading', async () => {
    const { srv, auto, fake, client } = setup({ loadWaitMs: 20 })
    let release!: () => void
    fake.bootDelay = () => new Promise((r) => (release = r))
    serverAnswers(srv)
    const { result } = await runIt(auto, { code: 'print("hi")', language: 'python' })
    expect(result.environment).toBe('server')
    release()
    await client.load()
    expect((await runIt(auto, { code: 'print("hi")', language: 'python' })).result.environment).toBe('pyodide')
  })

  it('a block run while another program holds the worker goes to the server', async () => {
    const { srv, auto, fake } = setup()
    fake.program('spin', async (io) => io.spin())
    const a = auto.run({ code: 'spin', language: 'python' })
    const seen: RunEvent[] = []
    a.on((e) => seen.push(e))
    for (let i = 0; i < 200 && !seen.some((e) => e.type === 'start'); i++) await new Promise((r) => setTimeout(r, 2))
    serverAnswers(srv)
    const b = await runIt(auto, { code: 'print("hi")', language: 'python' })
    expect(b.result.environment).toBe('server')
    expect(b.start?.warnings[0]).toContain('Another program is running')
    await a.stop()
    expect((await a.done).status).toBe('cancelled')
  })

  it('Stop before the choice is made starts nothing', async () => {
    const { srv, auto, fake } = setup()
    let release!: () => void
    fake.bootDelay = () => new Promise((r) => (release = r))
    const h = auto.run({ code: 'print("hi")', language: 'python' })
    await h.stop()
    const r = await h.done
    expect(r.status).toBe('cancelled')
    release?.()
    await new Promise((r) => setTimeout(r, 20))
    expect(executeCalls(srv)).toHaveLength(0)
    expect(fake.current?.received.some((m) => m.type === 'run') ?? false).toBe(false)
  })

  it('input typed before the program started reaches it', async () => {
    const { auto, fake } = setup()
    fake.program('echo', async (io) => io.write(`got ${await io.read()}`))
    const h = auto.run({ code: 'echo', language: 'python' })
    const out: string[] = []
    h.on((e) => e.type === 'output' && out.push(e.text))
    await h.sendInput('early\n')
    await h.done
    expect(out.join('')).toBe('got early\n')
  })
})
