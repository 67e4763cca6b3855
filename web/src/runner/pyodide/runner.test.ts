import { describe, expect, it } from 'vitest'
import { FakePyodide } from '../../test/fakePyodideWorker'
import type { RunEvent, RunHandle } from '../types'
import { PyodideClient } from './client'
import { Reporter, type ExecutionReport } from './report'
import { PyodideRunner } from './runner'

function setup(opts: { isolated?: boolean; packages?: () => Promise<string[]>; stopGraceMs?: number } = {}) {
  const fake = new FakePyodide()
  const client = new PyodideClient({
    createWorker: fake.create,
    isolated: () => opts.isolated ?? true,
    packages: opts.packages ?? (async () => ['numpy']),
  })
  const reports: ExecutionReport[] = []
  const reporter = new Reporter({
    storage: null,
    fetch: async (_u, init) => {
      reports.push(JSON.parse(String(init?.body)))
      return new Response('{}', { status: 201 })
    },
  })
  const runner = new PyodideRunner(client, { reporter, stopGraceMs: opts.stopGraceMs ?? 50 })
  return { fake, client, runner, reports }
}

function collect(h: RunHandle) {
  const events: RunEvent[] = []
  h.on((e) => events.push(e))
  const text = () => events.flatMap((e) => (e.type === 'output' ? [e.text] : [])).join('')
  return { events, text }
}

async function until(cond: () => boolean) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2))
  expect(cond()).toBe(true)
}

describe('PyodideClient', () => {
  it('loads one worker once, from /pyodide/, and hands over the served packages before it is ready', async () => {
    const { fake, client } = setup()
    const states: string[] = []
    client.onState((s) => states.push(s))
    const [a, b] = await Promise.all([client.load(), client.load()])
    expect(a && b).toBe(true)
    expect(fake.workers).toHaveLength(1)
    const w = fake.current
    expect(w.init?.indexURL).toBe('/pyodide/')
    expect(w.init?.interrupt).toBeInstanceOf(SharedArrayBuffer)
    expect(w.received.map((m) => m.type)).toEqual(['init', 'packages'])
    expect(w.packages).toEqual(['numpy'])
    expect(states).toEqual(['loading', 'ready'])
    expect(client.info?.pyodideVersion).toBe('314.0.7')
    expect(await client.load()).toBe(true)
    expect(fake.workers).toHaveLength(1)
  })

  it('fails with the reason when Python does not load, and terminates the worker', async () => {
    const { fake, client } = setup()
    fake.loadError = 'Failed to fetch dynamically imported module: /pyodide/pyodide.mjs'
    expect(await client.load()).toBe(false)
    expect(client.state).toBe('failed')
    expect(client.failure).toContain('pyodide.mjs')
    expect(fake.current.terminated).toBe(true)
    expect(await client.load()).toBe(false)
    expect(fake.workers).toHaveLength(1)
  })

  it('fails when the server does not serve the runtime', async () => {
    const { client } = setup({ packages: async () => Promise.reject(new Error('this server does not serve the Pyodide runtime')) })
    expect(await client.load()).toBe(false)
    expect(client.failure).toBe('this server does not serve the Pyodide runtime')
  })

  it('does not even start a worker when the page is not cross-origin isolated', async () => {
    const { fake, client } = setup({ isolated: false })
    expect(await client.load()).toBe(false)
    expect(client.state).toBe('unsupported')
    expect(client.failure).toContain('cross-origin isolated')
    expect(fake.workers).toHaveLength(0)
  })
})

describe('PyodideRunner', () => {
  it('streams output, ends with the same result shape as the server, and reports the run', async () => {
    const { fake, runner, reports } = setup()
    const code = fake.program('print(1)', async (io) => {
      io.write('one\n')
      io.write('oops\n', 'stderr')
      io.write('two\n')
    })
    const h = runner.run({ code, language: 'python', environment: 'pyodide', contentId: 'lesson', codeBlockId: 'b1' })
    const { events, text } = collect(h)
    const r = await h.done
    expect(events[0]).toMatchObject({ type: 'start', environment: 'pyodide', language: 'python' })
    expect(events.filter((e) => e.type === 'output').map((e) => (e.type === 'output' ? e.stream : ''))).toEqual(['stdout', 'stderr', 'stdout'])
    expect(text()).toBe('one\noops\ntwo\n')
    expect(r).toMatchObject({ status: 'success', exitCode: 0, environment: 'pyodide', truncated: false, message: null })
    expect(r.id).toMatch(/^pyodide-/)
    expect(typeof r.executionTime).toBe('number')
    await until(() => reports.length === 1)
    expect(reports[0]).toMatchObject({
      code, language: 'python', environment: 'pyodide', status: 'success', output: 'one\ntwo\n', error: 'oops\n',
      exit_code: 0, content_id: 'lesson', code_block_id: 'b1',
    })
  })

  it('passes typed input to a program blocked in input(), and Ctrl+D as end of input', async () => {
    const { fake, runner } = setup()
    const code = fake.program('ask', async (io) => {
      io.write('Name? ')
      const line = await io.read()
      io.write(`Hi ${line}`)
      const rest = await io.read()
      io.write(`rest=${rest}\n`)
    })
    const h = runner.run({ code, language: 'python' })
    expect(h.interactive).toBe(true)
    const { text } = collect(h)
    await until(() => text() === 'Name? ')
    await h.sendInput('Ada\n')
    await until(() => text().includes('Hi Ada'))
    await h.closeInput()
    const r = await h.done
    expect(text()).toBe('Name? Hi Ada\nrest=null\n')
    expect(r.status).toBe('success')
  })

  it('feeds a fixed stdin and then the end of input', async () => {
    const { fake, runner } = setup()
    const code = fake.program('fixed', async (io) => {
      const a = await io.read()
      const b = await io.read()
      io.write(`${JSON.stringify(a)} ${JSON.stringify(b)}`)
    })
    const h = runner.run({ code, language: 'python', stdin: '3\n4\n' })
    expect(h.interactive).toBe(false)
    const { text } = collect(h)
    await h.done
    expect(text()).toBe('"3\\n4\\n" null')
  })

  it('stops a program through the interrupt buffer, and the next run starts with it cleared', async () => {
    const { fake, client, runner, reports } = setup()
    const spin = fake.program('while True: pass', async (io) => {
      io.write('spinning\n')
      await io.spin()
    })
    const h = runner.run({ code: spin, language: 'python' })
    const { text } = collect(h)
    await until(() => text() === 'spinning\n')
    await h.stop()
    const r = await h.done
    expect(r).toMatchObject({ status: 'cancelled', message: 'Stopped.', environment: 'pyodide' })
    expect(client.restarts).toBe(0)
    await until(() => reports.length === 1)
    expect(reports[0].status).toBe('cancelled')

    let sawInterrupt: boolean | null = null
    const next = fake.program('print(2)', async (io) => {
      sawInterrupt = io.interrupted()
      io.write('2\n')
    })
    const h2 = runner.run({ code: next, language: 'python' })
    expect((await h2.done).status).toBe('success')
    expect(sawInterrupt).toBe(false)
    expect(fake.workers).toHaveLength(1)
  })

  it('Stop also reaches a program waiting for input', async () => {
    const { fake, runner } = setup()
    const code = fake.program('input()', async (io) => {
      await io.read()
    })
    const h = runner.run({ code, language: 'python' })
    const { events } = collect(h)
    await until(() => events.some((e) => e.type === 'start'))
    await h.stop()
    expect((await h.done).status).toBe('cancelled')
  })

  it('restarts the worker when a program ignores Stop, says so, and the next run works', async () => {
    const { fake, client, runner } = setup({ stopGraceMs: 30 })
    const stuck = fake.program('stuck', async (io) => io.hang())
    const h = runner.run({ code: stuck, language: 'python' })
    const { events } = collect(h)
    await until(() => events.some((e) => e.type === 'start'))
    await h.stop()
    const r = await h.done
    expect(r.status).toBe('cancelled')
    expect(r.message).toContain('the Python worker was restarted')
    expect(fake.workers[0].terminated).toBe(true)
    expect(client.restarts).toBe(1)
    const ok = fake.program('ok', async (io) => io.write('fresh\n'))
    const h2 = runner.run({ code: ok, language: 'python' })
    const c2 = collect(h2)
    expect((await h2.done).status).toBe('success')
    expect(c2.text()).toBe('fresh\n')
    expect(fake.workers).toHaveLength(2)
    expect(fake.workers[1].received[0].type).toBe('init')
  })

  it('ends a run at its time limit as a timeout', async () => {
    const { fake, runner, reports } = setup()
    const code = fake.program('slow', async (io) => io.spin())
    const h = runner.run({ code, language: 'python', timeout: 0.05 })
    const r = await h.done
    expect(r.status).toBe('timeout')
    expect(r.message).toBe('Execution timed out after 0.05s')
    await until(() => reports.length === 1)
    expect(reports[0].status).toBe('timeout')
  })

  it('times out a program that ignores the interrupt by replacing the worker', async () => {
    const { fake, runner } = setup({ stopGraceMs: 20 })
    const code = fake.program('hang', async (io) => io.hang())
    const r = await runner.run({ code, language: 'python', timeout: 0.03 }).done
    expect(r.status).toBe('timeout')
    expect(r.message).toContain('worker was restarted')
    expect(fake.workers[0].terminated).toBe(true)
  })

  it('a Stop while Python is still loading ends the run without running it', async () => {
    const { fake, runner, reports } = setup()
    let release!: () => void
    fake.bootDelay = () => new Promise((r) => (release = r))
    const code = fake.program('never', async () => {
      throw new Error('must not run')
    })
    const h = runner.run({ code, language: 'python' })
    await until(() => release !== undefined)
    await h.stop()
    release()
    const r = await h.done
    expect(r.status).toBe('cancelled')
    await new Promise((r) => setTimeout(r, 20))
    expect(fake.current.received.some((m) => m.type === 'run')).toBe(false)
    expect(reports).toHaveLength(0)
  })

  it('refuses a second run while one is going, instead of queueing it behind a loop', async () => {
    const { fake, runner } = setup()
    const spin = fake.program('spin', async (io) => io.spin())
    const a = runner.run({ code: spin, language: 'python' })
    const { events } = collect(a)
    await until(() => events.some((e) => e.type === 'start'))
    const b = await runner.run({ code: spin, language: 'python' }).done
    expect(b.status).toBe('busy')
    await a.stop()
    await a.done
  })
})

describe('PyodideRunner figures', () => {
  it('passes the worker\'s figures on as image events in order with the output, and the dropped count', async () => {
    const { fake, runner } = setup()
    const code = fake.program('import matplotlib.pyplot as plt', async (io) => {
      io.write('a\n')
      io.image('iVBORw0KGgo=', 'Figure 1: sine')
      io.write('b\n')
    })
    const h = runner.run({ code, language: 'python', environment: 'pyodide' })
    const { events } = collect(h)
    await h.done
    expect(events.map((e) => e.type)).toEqual(['start', 'output', 'image', 'output', 'complete'])
    expect(events[2]).toEqual({ type: 'image', mime: 'image/png', data: 'iVBORw0KGgo=', alt: 'Figure 1: sine' })
  })
})
