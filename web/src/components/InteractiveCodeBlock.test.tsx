import { act, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InteractiveCodeBlock } from './InteractiveCodeBlock'
import { fakeRunner } from '../test/render'
import { editKey, hashCode } from '../lib/edits'
import type { CodeBlock } from '../lib/api'
import type { LiveStream } from '../test/fakeServer'

const block: CodeBlock = { id: 'hello', language: 'python', environment: 'auto', title: 'Hello', code: 'print("hi")\n', position: 0, line: 3 }

function editorText(container: HTMLElement) {
  return Array.from(container.querySelectorAll('.cm-line')).map((l) => l.textContent).join('\n')
}

describe('InteractiveCodeBlock', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => localStorage.clear())

  it('keys saved edits by lesson, block and a hash of the original code', () => {
    expect(editKey('python-basics', 'hello', block.code)).toBe(`runblock:edit:python-basics:hello:${hashCode(block.code)}`)
    expect(hashCode('a')).not.toBe(hashCode('b'))
    expect(editKey('l', 'b', 'v1')).not.toBe(editKey('l', 'b', 'v2'))
  })

  it('restores a saved edit, and Reset brings back the original and forgets the edit', async () => {
    const key = editKey('lesson', 'hello', block.code)
    localStorage.setItem(key, 'print("edited")')
    const { wrapper } = fakeRunner()
    const { container } = render(<InteractiveCodeBlock lessonId="lesson" block={block} />, { wrapper })
    expect(editorText(container)).toBe('print("edited")')
    expect(screen.getByText('edited')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }))
    expect(editorText(container)).toBe('print("hi")')
    expect(localStorage.getItem(key)).toBeNull()
    expect((screen.getByRole('button', { name: 'Reset' }) as HTMLButtonElement).disabled).toBe(true)
  })

  it('ignores an edit saved for an older version of the block', () => {
    localStorage.setItem(editKey('lesson', 'hello', 'print("old")\n'), 'stale edit')
    const { wrapper } = fakeRunner()
    const { container } = render(<InteractiveCodeBlock lessonId="lesson" block={block} />, { wrapper })
    expect(editorText(container)).toBe('print("hi")')
  })

  it('Run sends the block\'s code and ids, shows the output, the status and the environment', async () => {
    const { srv, wrapper } = fakeRunner()
    let live!: LiveStream
    srv.answerStream((s) => {
      live = s
      s.event({ type: 'start', id: 'r1', environment: 'server', language: 'python' })
      s.event({ type: 'output', content: 'name? ' })
    })
    render(<InteractiveCodeBlock lessonId="lesson" block={block} />, { wrapper })
    fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    await screen.findByRole('textbox', { name: /Input for the program/ })
    expect(srv.posts('/execute/stream')[0].body).toEqual({ code: 'print("hi")', language: 'python', environment: 'server', content_id: 'lesson', code_block_id: 'hello' })
    expect(screen.getByTestId('status').textContent).toBe('running')
    expect((screen.getByRole('button', { name: 'Stop' }) as HTMLButtonElement).disabled).toBe(false)

    const input = screen.getByRole('textbox', { name: /Input for the program/ })
    fireEvent.change(input, { target: { value: 'Ada' } })
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(screen.getByRole('log').textContent).toContain('name? Ada')
    expect(screen.getByText('Ada').className).toContain('rb-stdin')
    await waitFor(() => expect(srv.posts('/stdin')).toHaveLength(1))

    act(() => {
      live.event({ type: 'output', content: 'Hello, Ada\n' })
      live.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 0.03 })
      live.close()
    })
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('success'))
    expect(screen.getByTestId('environment').textContent).toBe('python · server')
    expect(screen.queryByRole('textbox', { name: /Input for the program/ })).toBeNull()
  })

  it('shows its place in the queue while waiting, and Stop still cancels it', async () => {
    const { srv, wrapper } = fakeRunner()
    let live!: LiveStream
    srv.answerStream((s) => (live = s))
    srv.onCancel = () => {
      setTimeout(() => {
        live.event({ type: 'complete', status: 'cancelled', execution_time: 0 })
        live.close()
      })
      return { kind: 'json', status: 202, body: {} }
    }
    render(<InteractiveCodeBlock lessonId="lesson" block={block} />, { wrapper })
    fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    await waitFor(() => expect(live).toBeDefined())
    act(() => live.event({ type: 'queued', id: 'q7', position: 4, estimated_wait: 5.6 }))
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('waiting — 3 ahead of you (~6 s)'))
    expect(screen.getByRole('button', { name: /Waiting/ })).toBeTruthy()
    act(() => live.event({ type: 'queued', id: 'q7', position: 1, estimated_wait: 0.4 }))
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('waiting — next in line (~1 s)'))
    fireEvent.click(screen.getByRole('button', { name: 'Stop' }))
    await waitFor(() => expect(srv.posts('/executions/q7/cancel')).toHaveLength(1))
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('cancelled'))
  })

  it('drops the queue label once the run starts', async () => {
    const { srv, wrapper } = fakeRunner()
    let live!: LiveStream
    srv.answerStream((s) => (live = s))
    render(<InteractiveCodeBlock lessonId="lesson" block={block} />, { wrapper })
    fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    await waitFor(() => expect(live).toBeDefined())
    act(() => live.event({ type: 'queued', id: 'q8', position: 2, estimated_wait: 1 }))
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('waiting — 1 ahead of you (~1 s)'))
    act(() => live.event({ type: 'start', id: 'q8', environment: 'server', language: 'python' }))
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('running'))
    act(() => {
      live.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 0.01 })
      live.close()
    })
    await waitFor(() => expect(screen.getByTestId('status').textContent).toBe('success'))
  })

  it('disables Run with a countdown after a 429', async () => {
    const { srv, wrapper } = fakeRunner()
    srv.answerJSON(429, { error: 'rate limit exceeded', code: 'rate_limited' }, { 'Retry-After': '30' })
    render(<InteractiveCodeBlock lessonId="lesson" block={block} />, { wrapper })
    fireEvent.click(screen.getByRole('button', { name: 'Run' }))
    const alert = await screen.findByTestId('ratelimit')
    expect(alert.textContent).toMatch(/run again in 30 s/)
    // The quota (and so the alert) updates just before the run's status does.
    const run = (await screen.findByRole('button', { name: /Run \(wait 30 s\)/ })) as HTMLButtonElement
    expect(run.disabled).toBe(true)
  })
})
