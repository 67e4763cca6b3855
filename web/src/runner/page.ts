import { AutoRunner } from './auto'
import { PyodideClient } from './pyodide/client'
import { Reporter } from './pyodide/report'
import { PyodideRunner } from './pyodide/runner'
import { ServerRunner } from './server'
import { WasmRunner } from './wasm/runner'

// The page's runner: server and browser behind one AutoRunner, Python
// preloaded once the lesson is on screen, and browser-run reports retried
// whenever there is a chance they get through.

export interface BrowserEnvironment {
  available: boolean
  /** Package names (without versions) whose wheels the server serves. */
  packages: string[]
}

const api = '/api/v1/code'

/** Reads the pyodide entry of GET /environments; null when it can't be read. */
export async function fetchBrowserEnvironment(fetchFn: typeof fetch = fetch): Promise<BrowserEnvironment | null> {
  const res = await fetchFn(`${api}/environments`, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
  if (!res.ok) return null
  const body = (await res.json()) as { environments?: Array<Record<string, unknown>> } | Array<Record<string, unknown>>
  const list = Array.isArray(body) ? body : (body.environments ?? [])
  const e = list.find((x) => x.id === 'pyodide')
  if (!e) return null
  return {
    available: e.available === true,
    packages: Array.isArray(e.packages) ? e.packages.map((p) => String(p).split('==')[0]) : [],
  }
}

export interface PageRunnerParts {
  runner: AutoRunner
  client: PyodideClient
  reporter: Reporter
}

export function createPageRunner(): PageRunnerParts {
  let env: Promise<BrowserEnvironment | null> | null = null
  const browserEnv = () => (env ??= fetchBrowserEnvironment().catch(() => null))
  const client = new PyodideClient({
    packages: async () => {
      const e = await browserEnv()
      if (e && !e.available) throw new Error('this server does not serve the Pyodide runtime')
      return e?.packages ?? []
    },
  })
  const reporter = new Reporter()
  const server = new ServerRunner()
  const runner = new AutoRunner(server, new PyodideRunner(client, { reporter }), {
    prepare: (blocks) => preloadWhenIdle({ client, reporter }, wantsBrowser(blocks)),
    wasm: new WasmRunner({ quota: server.quota, reporter }),
  })
  if (typeof document !== 'undefined') {
    // Lets tests and the measure script see what the browser side is doing.
    const mark = () => {
      const d = document.documentElement.dataset
      d.pyodide = client.state
      if (client.info) d.pyodideLoadMs = String(Math.round(client.info.loadMs))
    }
    mark()
    client.onState(mark)
  }
  if (typeof window !== 'undefined') reporter.listen(window)
  return { runner, client, reporter }
}

/** Blocks that may run in the browser; a lesson without any never loads Python. */
export function wantsBrowser(blocks: Array<{ language: string; environment?: string }>): boolean {
  return blocks.some((b) => {
    const env = (b.environment ?? 'auto').toLowerCase()
    return b.language.toLowerCase() === 'python' && (env === 'auto' || env === 'pyodide')
  })
}

/**
 * Loads Python when the browser is idle, after the lesson is interactive,
 * and sends reports left from earlier visits. Never blocks rendering.
 */
export function preloadWhenIdle(parts: Pick<PageRunnerParts, 'client' | 'reporter'>, load: boolean) {
  const go = () => {
    if (load) void parts.client.load()
    void parts.reporter.flush()
  }
  const w = globalThis as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => number }
  if (typeof w.requestIdleCallback === 'function') w.requestIdleCallback(go, { timeout: 2000 })
  else setTimeout(go, 200)
}
