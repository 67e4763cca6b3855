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
  network_error: 'connection lost',
  failed: 'failed',
}

export function statusLabel(s: RunStatus): string {
  return labels[s] ?? s
}
