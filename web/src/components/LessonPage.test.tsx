import { render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LessonPage } from './LessonPage'
import { App } from '../App'
import { fakeRunner } from '../test/render'

const lesson = {
  id: 'intro',
  title: 'Intro',
  description: 'd',
  html: '<h1 id="intro">Intro</h1><p>Before</p><div class="runblock-block" data-block-id="a"></div><p>Between</p><div class="runblock-block" data-block-id="b"></div><pre><code class="language-text">not runnable</code></pre>',
  code_blocks: [
    { id: 'a', language: 'python', environment: 'auto', title: 'First', code: 'print(1)\n', position: 0, line: 5 },
    { id: 'b', language: 'c', environment: 'server', title: 'Second', code: 'int main(void){return 0;}\n', position: 1, line: 9 },
  ],
}

function stubFetch(routes: Record<string, () => Response>) {
  const calls: string[] = []
  vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
    const url = String(input)
    calls.push(url)
    const h = routes[url]
    return h ? h() : new Response(JSON.stringify({ error: 'lesson not found', code: 'not_found' }), { status: 404 })
  })
  return calls
}

describe('LessonPage', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('renders the server\'s HTML and mounts a block in each placeholder, in place', async () => {
    const calls = stubFetch({ '/api/v1/code/content/intro': () => Response.json(lesson) })
    const { wrapper } = fakeRunner()
    const { container } = render(<LessonPage id="intro" />, { wrapper })
    await screen.findByRole('heading', { name: 'First' })
    expect(calls).toContain('/api/v1/code/content/intro')
    const holders = container.querySelectorAll('div.runblock-block')
    expect(holders[0].querySelector('h3')?.textContent).toBe('First')
    expect(holders[1].querySelector('h3')?.textContent).toBe('Second')
    expect(holders[1].querySelector('.rb-lang')?.textContent).toBe('C')
    expect(container.querySelectorAll('.cm-editor')).toHaveLength(2)
    expect(screen.getByText('not runnable').closest('pre')).toBeTruthy()
    expect(document.title).toBe('Intro · runblock')
  })

  it('says so when the lesson does not exist', async () => {
    stubFetch({})
    const { wrapper } = fakeRunner()
    render(<LessonPage id="nope" />, { wrapper })
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toContain('lesson not found')
  })

  it('routes / to the list and /lessons/{id} to the lesson', async () => {
    stubFetch({
      '/api/v1/code/content': () => Response.json({ lessons: [{ id: 'intro', title: 'Intro', description: 'Start here' }] }),
      '/api/v1/code/content/intro': () => Response.json(lesson),
    })
    const { wrapper } = fakeRunner()
    const list = render(<App path="/" />, { wrapper })
    const link = await screen.findByRole('link', { name: 'Intro' })
    expect(link.getAttribute('href')).toBe('/lessons/intro')
    list.unmount()
    render(<App path="/lessons/intro" />, { wrapper })
    await screen.findByRole('heading', { name: 'Second' })
  })
})
