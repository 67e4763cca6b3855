// The lesson endpoints the page reads (same origin, see README "API").

export interface CodeBlock {
  id: string
  language: string
  environment: string
  title: string
  code: string
  position: number
  line: number
  timeout?: number
  stdin?: string
  /** Exercises only: the block has tests (some may be hidden). */
  exercise?: boolean
  tests?: VisibleTests[]
  hidden_tests?: number
  /** Whether the caller has passed every test once. */
  solved?: boolean
}

/** A visible tests fence: Python test code or an expected-output case. */
export interface VisibleTests {
  name: string
  kind: 'python' | 'output'
  code?: string
  stdin?: string
  expected?: string
  match?: string
}

export interface TestResult {
  name: string
  suite: string
  hidden: boolean
  passed: boolean
  message: string
  time_ms: number
}

export interface Submission {
  id: string
  status: 'passed' | 'failed' | 'error' | 'timeout'
  passed: number
  failed: number
  total: number
  tests: TestResult[]
  message: string | null
  output: string
  error: string | null
  execution_time: number
  solved: boolean
}

export interface LessonSummary {
  id: string
  title: string
  description: string
  blocks?: number | unknown[]
}

export interface Lesson {
  id: string
  title: string
  description: string
  html: string
  code_blocks: CodeBlock[]
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

const base = '/api/v1/code'

async function getJSON<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(base + path, { credentials: 'same-origin', signal, headers: { Accept: 'application/json' } })
  if (!res.ok) {
    let msg = `HTTP ${res.status}`
    try {
      const j = await res.json()
      if (typeof j?.error === 'string') msg = j.error
    } catch {
      // not JSON
    }
    throw new ApiError(msg, res.status)
  }
  return res.json() as Promise<T>
}

export function fetchLessons(signal?: AbortSignal) {
  return getJSON<{ lessons: LessonSummary[] }>('/content', signal).then((r) => r.lessons ?? [])
}

export function fetchLesson(id: string, signal?: AbortSignal) {
  const path = id.split('/').map(encodeURIComponent).join('/')
  return getJSON<Lesson>(`/content/${path}`, signal)
}

/** Grades code against a block's tests (POST /submit). */
export async function submitSolution(contentId: string, codeBlockId: string, code: string, signal?: AbortSignal): Promise<Submission> {
  const res = await fetch(base + '/submit', {
    method: 'POST',
    credentials: 'same-origin',
    signal,
    headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: JSON.stringify({ content_id: contentId, code_block_id: codeBlockId, code }),
  })
  if (!res.ok) {
    let msg = `HTTP ${res.status}`
    try {
      const j = await res.json()
      if (typeof j?.error === 'string') msg = j.error
    } catch {
      // not JSON
    }
    throw new ApiError(msg, res.status)
  }
  return res.json() as Promise<Submission>
}
