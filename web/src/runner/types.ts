// The runner core's vocabulary. Framework-free: the React hook and the
// embeddable custom element of a later issue both speak it.

export type Language = 'python' | 'c' | (string & {})

export interface RunRequest {
  code: string
  language: Language
  environment?: string
  timeout?: number
  /** Fixed input; when absent the run is interactive (sendInput works). */
  stdin?: string
  contentId?: string
  codeBlockId?: string
}

/** Terminal outcomes reported by the server plus the ones only a client sees. */
export type FinalStatus =
  | 'success'
  | 'error'
  | 'timeout'
  | 'memory_limit'
  | 'cancelled'
  | 'rejected'
  | 'rate_limited'
  | 'busy'
  | 'unavailable'
  | 'network_error'
  | 'failed'

export type RunStatus = 'idle' | 'starting' | 'running' | FinalStatus

export interface RunResult {
  status: FinalStatus
  exitCode: number | null
  /** Seconds, as measured by the server; null when the run never started. */
  executionTime: number | null
  truncated: boolean
  /** What ended the run, or why it was refused, in words. */
  message: string | null
  environment: string | null
  stage: string | null
  /** Seconds to wait before trying again (429, 503). */
  retryAfter: number | null
  id: string | null
  /** Figures the run produced past its image budget (not sent). */
  imagesDropped?: number
}

export type RunEvent =
  | { type: 'start'; id: string; environment: string; language: string; warnings: string[] }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'image'; mime: string; data: string; alt: string }
  | { type: 'retrying'; attempt: number; maxAttempts: number; delaySeconds: number; reason: string }
  /** Waiting for a sandbox: position 1 is next; estimatedWait in seconds. */
  | { type: 'queued'; id: string | null; position: number; estimatedWait: number }
  | { type: 'complete'; result: RunResult }

export type RunListener = (ev: RunEvent) => void

export interface RunHandle {
  /** Resolves once, with the final result; never rejects. */
  readonly done: Promise<RunResult>
  readonly interactive: boolean
  id(): string | null
  status(): RunStatus
  on(listener: RunListener): () => void
  /** Sends text to the program's stdin (include the trailing "\n"). */
  sendInput(text: string): Promise<void>
  /** Closes the program's stdin (Ctrl+D). */
  closeInput(): Promise<void>
  stop(): Promise<void>
}

export interface Runner {
  run(req: RunRequest): RunHandle
}

export interface RateLimitInfo {
  limit: number | null
  remaining: number | null
  /** Epoch ms when the window resets (remaining goes back up). */
  resetAt: number | null
  /** Epoch ms before which a run will be refused (429 Retry-After). */
  blockedUntil: number | null
}
