import type { RateLimitInfo } from './types'

// The caller's quota is per user, not per block, so one store is shared by
// every block on the page: a 429 in one block disables Run in all of them.

type Listener = (info: RateLimitInfo) => void

export class QuotaStore {
  private info: RateLimitInfo = { limit: null, remaining: null, resetAt: null, blockedUntil: null }
  private listeners = new Set<Listener>()

  constructor(private now: () => number = Date.now) {}

  get(): RateLimitInfo {
    return this.info
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l)
    return () => this.listeners.delete(l)
  }

  /** Reads RateLimit-Limit / -Remaining / -Reset (seconds) when present. */
  fromHeaders(h: Headers) {
    const limit = intHeader(h, 'RateLimit-Limit')
    const remaining = intHeader(h, 'RateLimit-Remaining')
    const reset = intHeader(h, 'RateLimit-Reset')
    if (limit === null && remaining === null && reset === null) return
    this.set({
      limit: limit ?? this.info.limit,
      remaining: remaining ?? this.info.remaining,
      resetAt: reset !== null ? this.now() + reset * 1000 : this.info.resetAt,
    })
  }

  /** GET /stats answer: rate_limit and remaining are null for unlimited callers. */
  fromStats(s: { rate_limit?: number | null; remaining?: number | null; reset_in_seconds?: number }) {
    this.set({
      limit: s.rate_limit ?? null,
      remaining: s.remaining ?? null,
      resetAt: typeof s.reset_in_seconds === 'number' ? this.now() + s.reset_in_seconds * 1000 : null,
    })
  }

  /** A 429: nothing runs before retryAfter seconds have passed. */
  block(retryAfterSeconds: number) {
    const until = this.now() + Math.max(1, retryAfterSeconds) * 1000
    this.set({ blockedUntil: until, remaining: 0, resetAt: until })
  }

  /** Seconds left before Run is allowed again, 0 when it is. */
  secondsBlocked(): number {
    const u = this.info.blockedUntil
    if (u === null) return 0
    const left = Math.ceil((u - this.now()) / 1000)
    return left > 0 ? left : 0
  }

  private set(patch: Partial<RateLimitInfo>) {
    this.info = { ...this.info, ...patch }
    for (const l of this.listeners) l(this.info)
  }
}

export function intHeader(h: Headers, name: string): number | null {
  const v = h.get(name)
  if (v === null || v.trim() === '') return null
  const n = Number(v)
  return Number.isFinite(n) ? Math.max(0, Math.round(n)) : null
}
