// A fake of runblock's HTTP API for the runner's tests: every call is
// recorded, and each /execute/stream answer is a stream the test feeds.

export interface Call {
  url: string
  method: string
  body: unknown
}

export interface LiveStream {
  send(text: string): void
  sendBytes(bytes: Uint8Array): void
  event(obj: unknown): void
  close(): void
  fail(err?: Error): void
}

type StreamAnswer = { kind: 'stream'; headers?: Record<string, string>; onOpen: (s: LiveStream) => void }
type JsonAnswer = { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
type Answer = StreamAnswer | JsonAnswer | { kind: 'network' }

const enc = new TextEncoder()

export class FakeServer {
  calls: Call[] = []
  private execAnswers: Answer[] = []
  streams: LiveStream[] = []
  onStdin: (body: unknown) => JsonAnswer = () => ({ kind: 'json', status: 204, body: null })
  onCancel: (body: unknown) => JsonAnswer = () => ({ kind: 'json', status: 202, body: { status: 'cancelling' } })
  stats: unknown = { rate_limit: 5, remaining: 5, reset_in_seconds: 60 }

  answerStream(onOpen: (s: LiveStream) => void = () => {}, headers?: Record<string, string>) {
    this.execAnswers.push({ kind: 'stream', onOpen, headers })
  }
  answerJSON(status: number, body: unknown, headers?: Record<string, string>) {
    this.execAnswers.push({ kind: 'json', status, body, headers })
  }
  answerNetworkError() {
    this.execAnswers.push({ kind: 'network' })
  }

  posts(suffix: string) {
    return this.calls.filter((c) => c.method === 'POST' && c.url.endsWith(suffix))
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = String(input)
    const method = init.method ?? 'GET'
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : null
    this.calls.push({ url, method, body })
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    if (url.endsWith('/execute/stream')) {
      const a = this.execAnswers.shift()
      if (!a) throw new Error(`unexpected execute call #${this.posts('/execute/stream').length}`)
      if (a.kind === 'network') throw new TypeError('Failed to fetch')
      if (a.kind === 'json') return json(a.status, a.body, a.headers)
      let ctrl!: ReadableStreamDefaultController<Uint8Array>
      const rs = new ReadableStream<Uint8Array>({ start: (c) => void (ctrl = c) })
      let closed = false
      const live: LiveStream = {
        send: (t) => !closed && ctrl.enqueue(enc.encode(t)),
        sendBytes: (b) => !closed && ctrl.enqueue(b),
        event: (o) => live.send(`data: ${JSON.stringify(o)}\n\n`),
        close: () => {
          if (!closed) ctrl.close()
          closed = true
        },
        fail: (err) => {
          if (!closed) ctrl.error(err ?? new TypeError('network error'))
          closed = true
        },
      }
      init.signal?.addEventListener('abort', () => live.fail(new DOMException('aborted', 'AbortError')))
      this.streams.push(live)
      queueMicrotask(() => a.onOpen(live))
      return new Response(rs, { status: 200, headers: { 'Content-Type': 'text/event-stream', ...a.headers } })
    }
    if (url.endsWith('/stdin')) return fromAnswer(this.onStdin(body))
    if (url.endsWith('/cancel')) return fromAnswer(this.onCancel(body))
    if (url.endsWith('/stats')) return json(200, this.stats)
    return json(404, { error: 'not found', code: 'not_found' })
  }
}

function fromAnswer(a: JsonAnswer) {
  return json(a.status, a.body, a.headers)
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  if (status === 204) return new Response(null, { status, headers })
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
}

/** Resolves after pending promise callbacks and stream reads have run. */
export async function settle(times = 10) {
  for (let i = 0; i < times; i++) await new Promise((r) => setTimeout(r, 0))
}
