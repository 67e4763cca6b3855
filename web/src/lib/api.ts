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
