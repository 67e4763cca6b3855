import { useEffect, useState } from 'react'
import { fetchLessons, type LessonSummary } from '../lib/api'

export function LessonList() {
  const [lessons, setLessons] = useState<LessonSummary[] | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    const ac = new AbortController()
    document.title = 'Lessons · runblock'
    fetchLessons(ac.signal)
      .then(setLessons)
      .catch((e: unknown) => {
        if (!ac.signal.aborted) setError(e instanceof Error ? e.message : String(e))
      })
    return () => ac.abort()
  }, [])

  return (
    <main className="rb-page">
      <h1>Lessons</h1>
      {error && <p className="rb-error" role="alert">Could not load the lessons: {error}</p>}
      {!lessons && !error && <p className="rb-loading">Loading…</p>}
      {lessons && lessons.length === 0 && <p>No lessons yet.</p>}
      {lessons && lessons.length > 0 && (
        <ul className="rb-lessons">
          {lessons.map((l) => (
            <li key={l.id}>
              <a href={`/lessons/${l.id.split('/').map(encodeURIComponent).join('/')}`}>{l.title || l.id}</a>
              {l.description && <p>{l.description}</p>}
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}
