import { act, renderHook, waitFor } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { useCodeExecution } from './useCodeExecution'
import { fakeRunner } from '../test/render'
import type { LiveStream } from '../test/fakeServer'

describe('useCodeExecution', () => {
  it('goes starting → running → success, collecting output and the environment', async () => {
    const { srv, wrapper } = fakeRunner()
    let live!: LiveStream
    srv.answerStream((s) => (live = s), { 'RateLimit-Limit': '5', 'RateLimit-Remaining': '4', 'RateLimit-Reset': '60' })
    const { result } = renderHook(() => useCodeExecution({ language: 'python', environment: 'server' }), { wrapper })
    expect(result.current.status).toBe('idle')
    act(() => result.current.run('print(1)'))
    expect(result.current.status).toBe('starting')
    expect(result.current.live).toBe(true)
    await waitFor(() => expect(live).toBeDefined())
    act(() => {
      live.event({ type: 'start', id: 'r1', environment: 'server', language: 'python' })
      live.event({ type: 'output', content: 'line 1\n' })
    })
    // The model is mutable: wait for a render that reports both the start and the output.
    await waitFor(() => {
      expect(result.current.status).toBe('running')
      expect(result.current.outputVersion).toBe(result.current.terminal.version)
      expect(result.current.terminal.plainText()).toBe('line 1')
    })
    expect(result.current.acceptsInput).toBe(true)
    expect(result.current.environment).toBe('server')
    expect(result.current.remaining).toBe(4)
    act(() => {
      live.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 0.5 })
      live.close()
    })
    await waitFor(() => expect(result.current.status).toBe('success'))
    expect(result.current.live).toBe(false)
    expect(result.current.acceptsInput).toBe(false)
    expect(result.current.elapsed).toBe(0.5)
    expect(result.current.result?.exitCode).toBe(0)
  })

  it('echoes a sent line into the terminal and posts it to stdin', async () => {
    const { srv, wrapper } = fakeRunner()
    let live!: LiveStream
    srv.answerStream((s) => {
      live = s
      s.event({ type: 'start', id: 'r2', environment: 'server', language: 'python' })
      s.event({ type: 'output', content: 'name? ' })
    })
    const { result } = renderHook(() => useCodeExecution({ language: 'python' }), { wrapper })
    act(() => result.current.run('input()'))
    await waitFor(() => expect(result.current.terminal.plainText()).toBe('name? '))
    act(() => result.current.sendLine('Ada'))
    expect(result.current.terminal.plainText()).toBe('name? Ada')
    await waitFor(() => expect(srv.posts('/stdin')).toHaveLength(1))
    expect(srv.posts('/stdin')[0].body).toEqual({ data: 'Ada\n' })
    act(() => {
      live.event({ type: 'complete', status: 'success', exit_code: 0 })
      live.close()
    })
    await waitFor(() => expect(result.current.status).toBe('success'))
  })

  it('after a 429 counts down and refuses to run until the wait is over', async () => {
    const { srv, wrapper, quota } = fakeRunner()
    srv.answerJSON(429, { error: 'rate limit exceeded', code: 'rate_limited' }, { 'Retry-After': '1' })
    const { result } = renderHook(() => useCodeExecution({ language: 'python' }), { wrapper })
    act(() => result.current.run('x'))
    await waitFor(() => expect(result.current.status).toBe('rate_limited'))
    expect(result.current.blockedSeconds).toBe(1)
    act(() => result.current.run('x')) // refused locally: no second request
    expect(srv.posts('/execute/stream')).toHaveLength(1)
    expect(quota.secondsBlocked()).toBe(1)
    await waitFor(() => expect(result.current.blockedSeconds).toBe(0), { timeout: 3000 })
  })

  it('shows a busy server being retried, then the run', async () => {
    const { srv, wrapper } = fakeRunner()
    srv.answerJSON(503, { error: 'all sandboxes are busy', code: 'busy' }, { 'Retry-After': '1' })
    srv.answerStream((s) => {
      s.event({ type: 'start', id: 'r3', environment: 'server', language: 'python' })
      s.event({ type: 'complete', status: 'success', exit_code: 0 })
      s.close()
    })
    const { result } = renderHook(() => useCodeExecution({ language: 'python' }), { wrapper })
    act(() => result.current.run('x'))
    await waitFor(() => expect(result.current.status).toBe('success'))
    expect(srv.posts('/execute/stream')).toHaveLength(2)
    expect(result.current.retrying).toBeNull()
  })

  it('Stop while running ends in cancelled', async () => {
    const { srv, wrapper } = fakeRunner()
    let live!: LiveStream
    srv.answerStream((s) => {
      live = s
      s.event({ type: 'start', id: 'r4', environment: 'server', language: 'python' })
    })
    srv.onCancel = () => {
      setTimeout(() => {
        live.event({ type: 'complete', status: 'cancelled', execution_time: 0.2 })
        live.close()
      })
      return { kind: 'json', status: 202, body: {} }
    }
    const { result } = renderHook(() => useCodeExecution({ language: 'python' }), { wrapper })
    act(() => result.current.run('while True: pass'))
    await waitFor(() => expect(result.current.status).toBe('running'))
    act(() => result.current.stop())
    expect(result.current.stopping).toBe(true)
    await waitFor(() => expect(result.current.status).toBe('cancelled'))
    expect(result.current.stopping).toBe(false)
  })
})
