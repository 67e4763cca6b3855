// Browser runs (Pyodide, wasm) are reported to POST /executions so history, /stats and
// per-block progress count them. A report that can't be delivered now
// (offline, 429, 5xx) waits in localStorage and is sent later; a learner
// never waits for one.

export interface ExecutionReport {
  code: string
  language: 'python' | 'c' | 'c++' | 'rust'
  environment: 'pyodide' | 'wasm'
  status: 'success' | 'error' | 'timeout' | 'memory_limit' | 'cancelled'
  output: string
  error: string | null
  execution_time: number
  exit_code: number | null
  truncated: boolean
  content_id?: string
  code_block_id?: string
}

export interface ReporterOptions {
  baseUrl?: string
  fetch?: typeof fetch
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null
  /** Reports kept while they can't be sent; the oldest are dropped first. */
  maxQueued?: number
  /** Characters of queue kept in storage (localStorage holds about 5 MB per origin, shared with edits). */
  maxStoredChars?: number
}

/** The server keeps 16 KiB of each; sending more only costs bandwidth. */
export const REPORT_OUTPUT_CHARS = 16 * 1024
const KEY = 'runblock:pending-reports'

export class Reporter {
  private o: Required<Omit<ReporterOptions, 'storage'>> & { storage: ReporterOptions['storage'] }
  private memory: ExecutionReport[] = []
  private flushing: Promise<void> | null = null

  constructor(opts: ReporterOptions = {}) {
    this.o = {
      baseUrl: opts.baseUrl ?? '/api/v1/code',
      fetch: opts.fetch ?? ((i, init) => globalThis.fetch(i, init)),
      storage: opts.storage === undefined ? safeLocalStorage() : opts.storage,
      maxQueued: opts.maxQueued ?? 200,
      maxStoredChars: opts.maxStoredChars ?? 1_000_000,
    }
  }

  /** Queues a report and tries to send everything queued. Never throws. */
  report(r: ExecutionReport): Promise<void> {
    const q = this.load()
    q.push(r)
    this.save(q)
    return this.flush()
  }

  pending(): ExecutionReport[] {
    return this.load()
  }

  /** Sends queued reports in order; stops at the first that must wait. */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => (this.flushing = null))
    return this.flushing
  }

  private async send() {
    for (;;) {
      const q = this.load()
      if (q.length === 0) return
      let keep: boolean
      try {
        const body = JSON.stringify(q[0])
        const res = await this.o.fetch(`${this.o.baseUrl}/executions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
          credentials: 'same-origin',
          // keepalive lets a report leave with the page, but browsers refuse
          // keepalive bodies over 64 KiB (and such a report would then never go).
          keepalive: body.length < 60_000,
        })
        // 429 and 5xx pass; anything else 4xx is a report the server will
        // never take (malformed), and retrying it would block the rest.
        keep = res.status === 429 || res.status >= 500 || res.status === 408
        if (!keep && !res.ok) console.warn('runblock: run report refused', res.status)
      } catch {
        keep = true // offline or the server is unreachable
      }
      if (keep) return
      const after = this.load()
      after.shift()
      this.save(after)
    }
  }

  /** Retries when the browser comes back online. */
  listen(target: Pick<Window, 'addEventListener'> = window) {
    target.addEventListener('online', () => void this.flush())
  }

  private load(): ExecutionReport[] {
    const s = this.o.storage
    if (!s) return [...this.memory]
    try {
      const v = JSON.parse(s.getItem(KEY) ?? '[]')
      return Array.isArray(v) ? v : []
    } catch {
      return []
    }
  }

  private save(q: ExecutionReport[]) {
    const trimmed = q.slice(-this.o.maxQueued)
    let json = JSON.stringify(trimmed)
    while (json.length > this.o.maxStoredChars && trimmed.length > 1) {
      trimmed.shift()
      json = JSON.stringify(trimmed)
    }
    const s = this.o.storage
    if (!s) {
      this.memory = trimmed
      return
    }
    try {
      s.setItem(KEY, json)
    } catch {
      // Storage full or blocked: keep this tab's queue in memory instead.
      this.memory = trimmed
      this.o.storage = null
    }
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null // blocked by the browser's privacy settings
  }
}
