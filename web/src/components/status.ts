import type { Queued } from '../hooks/useCodeExecution'
import type { RunStatus } from '../runner/types'

const labels: Record<RunStatus, string> = {
  idle: 'ready',
  starting: 'starting',
  running: 'running',
  success: 'success',
  error: 'error',
  timeout: 'timeout',
  memory_limit: 'memory limit',
  cancelled: 'cancelled',
  rejected: 'rejected',
  rate_limited: 'rate limited',
  busy: 'server busy',
  unavailable: 'unavailable',
  network_error: 'connection lost',
  failed: 'failed',
}

export function statusLabel(s: RunStatus): string {
  return labels[s] ?? s
}

/** "waiting — 3 ahead of you (~6 s)": position 1 is next, so k ahead is position k+1. */
export function queuedLabel(q: Queued): string {
  const ahead = Math.max(0, q.position - 1)
  const who = ahead === 0 ? 'next in line' : `${ahead} ahead of you`
  const eta = q.estimatedWait > 0 ? ` (~${Math.max(1, Math.round(q.estimatedWait))} s)` : ''
  return `waiting — ${who}${eta}`
}
