import { describe, expect, it } from 'vitest'
import { Reporter, type ExecutionReport } from './report'

function memoryStorage() {
  const m = new Map<string, string>()
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m }
}

const rep = (code: string): ExecutionReport => ({
  code, language: 'python', environment: 'pyodide', status: 'success', output: '', error: null,
  execution_time: 0.01, exit_code: 0, truncated: false,
})

describe('Reporter', () => {
  it('keeps reports the server could not take (offline, 429, 5xx) and sends them later, in order', async () => {
    const storage = memoryStorage()
    const sent: string[] = []
    let answer: 'offline' | number = 'offline'
    const reporter = new Reporter({
      storage,
      fetch: async (url, init) => {
        expect(String(url)).toBe('/api/v1/code/executions')
        expect(init?.method).toBe('POST')
        if (answer === 'offline') throw new TypeError('Failed to fetch')
        if (answer === 201) sent.push(JSON.parse(String(init?.body)).code)
        return new Response('{}', { status: answer })
      },
    })
    await reporter.report(rep('a'))
    answer = 429
    await reporter.report(rep('b'))
    answer = 503
    await reporter.flush()
    expect(reporter.pending().map((r) => r.code)).toEqual(['a', 'b'])
    // A new page (a new Reporter) finds them in storage.
    const later = new Reporter({
      storage,
      fetch: async (_u, init) => {
        sent.push(JSON.parse(String(init?.body)).code)
        return new Response('{}', { status: 201 })
      },
    })
    await later.flush()
    expect(sent).toEqual(['a', 'b'])
    expect(later.pending()).toEqual([])
  })

  it('drops a report the server refuses as invalid, so it does not block the rest', async () => {
    const seen: string[] = []
    const reporter = new Reporter({
      storage: memoryStorage(),
      fetch: async (_u, init) => {
        const code = JSON.parse(String(init?.body)).code
        seen.push(code)
        return new Response('{}', { status: code === 'bad' ? 400 : 201 })
      },
    })
    await reporter.report(rep('bad'))
    await reporter.report(rep('good'))
    expect(seen).toEqual(['bad', 'good'])
    expect(reporter.pending()).toEqual([])
  })

  it('never throws, and keeps a bounded queue', async () => {
    const reporter = new Reporter({ storage: memoryStorage(), maxQueued: 3, fetch: async () => Promise.reject(new Error('down')) })
    for (const c of ['1', '2', '3', '4', '5']) await reporter.report(rep(c))
    expect(reporter.pending().map((r) => r.code)).toEqual(['3', '4', '5'])
    // Large reports are bounded by size too, so localStorage doesn't fill up.
    const small = new Reporter({ storage: memoryStorage(), maxStoredChars: 1000, fetch: async () => Promise.reject(new Error('down')) })
    for (const c of ['a', 'b', 'c']) await small.report(rep(c.repeat(400)))
    expect(small.pending().map((r) => r.code[0])).toEqual(['c'])
  })

  it('retries when the browser comes back online', async () => {
    const target = new EventTarget()
    let up = false
    const sent: string[] = []
    const reporter = new Reporter({
      storage: memoryStorage(),
      fetch: async (_u, init) => {
        if (!up) throw new TypeError('offline')
        sent.push(JSON.parse(String(init?.body)).code)
        return new Response('{}', { status: 201 })
      },
    })
    reporter.listen(target as unknown as Window)
    await reporter.report(rep('x'))
    up = true
    target.dispatchEvent(new Event('online'))
    for (let i = 0; i < 50 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 1))
    expect(sent).toEqual(['x'])
  })

  it('works when storage is unavailable (blocked or full)', async () => {
    const broken = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError') } }
    const reporter = new Reporter({ storage: broken, fetch: async () => Promise.reject(new Error('down')) })
    await reporter.report(rep('kept'))
    expect(reporter.pending().map((r) => r.code)).toEqual(['kept'])
  })

  it('sends a large report without keepalive, which browsers limit to 64 KiB', async () => {
    const inits: RequestInit[] = []
    const reporter = new Reporter({
      storage: memoryStorage(),
      fetch: async (_u, init) => {
        inits.push(init!)
        return new Response('{}', { status: 201 })
      },
    })
    await reporter.report(rep('print(1)'))
    await reporter.report({ ...rep('x = 1\n'.repeat(10_000)), output: 'y'.repeat(16_000) })
    expect(inits.map((i) => i.keepalive)).toEqual([true, false])
    expect(reporter.pending()).toEqual([])
  })
})
