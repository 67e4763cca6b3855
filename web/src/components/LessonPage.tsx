import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import { createPortal } from 'react-dom'
import { fetchLesson, type Lesson } from '../lib/api'
import { InteractiveCodeBlock } from './InteractiveCodeBlock'
import { useRunner } from '../hooks/RunnerContext'

interface Mount {
  el: Element
  blockId: string
}

export function LessonPage({ id }: { id: string }) {
  const [lesson, setLesson] = useState<Lesson | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [mounts, setMounts] = useState<Mount[]>([])
  const prose = useRef<HTMLDivElement>(null)
  const runner = useRunner()

  useEffect(() => {
    const ac = new AbortController()
    setLesson(null)
    setError(null)
    fetchLesson(id, ac.signal)
      .then((l) => {
        setLesson(l)
        runner.prepare?.(l.code_blocks)
        document.title = `${l.title} · runblock`
      })
      .catch((e: unknown) => {
        if (!ac.signal.aborted) setError(e instanceof Error ? e.message : String(e))
      })
    void runner.refreshStats()
    return () => ac.abort()
  }, [id, runner])

  // The server's HTML holds one placeholder per runnable block; each gets a
  // React portal, so the prose stays plain DOM and blocks stay components.
  useLayoutEffect(() => {
    if (!lesson || !prose.current) return setMounts([])
    const found: Mount[] = []
    prose.current.querySelectorAll('div.runblock-block[data-block-id]').forEach((el) => {
      found.push({ el, blockId: el.getAttribute('data-block-id')! })
    })
    setMounts(found)
  }, [lesson])

  // The moment the blocks exist and can run; `npm run measure` reads it.
  useEffect(() => {
    if (mounts.length > 0) performance.mark('runblock:interactive')
  }, [mounts])

  if (error) {
    return (
      <main className="rb-page">
        <p className="rb-back"><a href="/">← All lessons</a></p>
        <div className="rb-error" role="alert">
          <h1>Lesson not available</h1>
          <p>{error}</p>
        </div>
      </main>
    )
  }
  if (!lesson) {
    return (
      <main className="rb-page" aria-busy="true">
        <p className="rb-loading">Loading lesson…</p>
      </main>
    )
  }
  const byId = new Map(lesson.code_blocks.map((b) => [b.id, b]))
  return (
    <main className="rb-page">
      <p className="rb-back"><a href="/">← All lessons</a></p>
      <article className="rb-prose" ref={prose} dangerouslySetInnerHTML={{ __html: lesson.html }} />
      {mounts.map(({ el, blockId }) => {
        const block = byId.get(blockId)
        if (!block) return null
        return createPortal(<InteractiveCodeBlock lessonId={lesson.id} block={block} />, el, blockId)
      })}
    </main>
  )
}
