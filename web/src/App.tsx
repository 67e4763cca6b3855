import { LessonList } from './components/LessonList'
import { LessonPage } from './components/LessonPage'

/** The server sends index.html for / and /lessons/{id...}; the path picks the page. */
export function App({ path }: { path: string }) {
  if (path === '/' || path === '') return <LessonList />
  const m = /^\/lessons\/(.+?)\/?$/.exec(path)
  if (m) return <LessonPage id={decodeURIComponent(m[1])} />
  return (
    <main className="rb-page">
      <h1>Not found</h1>
      <p><a href="/">All lessons</a></p>
    </main>
  )
}
