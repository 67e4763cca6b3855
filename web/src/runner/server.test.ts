import { describe, expect, it } from 'vitest'
import { ServerRunner } from './server'
import { QuotaStore } from './quota'
import { FakeServer, settle, type LiveStream } from '../test/fakeServer'
import type { RunEvent } from './types'

function setup(opts: ConstructorParameters<typeof ServerRunner>[0] = {}) {
  const srv = new FakeServer()
  let clock = 1_000_000
  const quota = new QuotaStore(() => clock)
  const sleeps: number[] = []
  const runner = new ServerRunner({
    fetch: srv.fetch,
    quota,
    sleep: async (ms) => void sleeps.push(ms),
    ...opts,
  })
  return { srv, runner, quota, sleeps, advance: (ms: number) => (clock += ms) }
}

function collect(h: { on(l: (e: RunEvent) => void): unknown }) {
  const evs: RunEvent[] = []
  h.on((e) => evs.push(e))
  return evs
}

describe('ServerRunner', () => {
  it('streams start, stdout, stderr and complete, and sends the request fields', async () => {
    const { srv, runner, quota } = setup()
    srv.answerStream(
      (s) => {
        s.event({ type: 'start', id: 'r1', environment: 'server', language: 'python' })
        s.event({ type: 'output', content: 'hello\n' })
        s.event({ type: 'error', content: 'oops\n' })
        s.event({ type: 'complete', status: 'error', exit_code: 1, execution_time: 0.02, truncated: false, error: 'Process exited with code 1' })
        s.close()
      },
      { 'RateLimit-Limit': '5', 'RateLimit-Remaining': '4', 'RateLimit-Reset': '60' },
    )
    const h = runner.run({ code: 'print(1)', language: 'python', environment: 'server', contentId: 'l', codeBlockId: 'b' })
    const evs = collect(h)
    const r = await h.done
    expect(srv.posts('/execute/stream')[0].body).toEqual({ code: 'print(1)', language: 'python', environment: 'server', content_id: 'l', code_block_id: 'b' })
    expect(evs.map((e) => e.type)).toEqual(['start', 'output', 'output', 'complete'])
    expect(evs[1]).toEqual({ type: 'output', stream: 'stdout', text: 'hello\n' })
    expect(evs[2]).toEqual({ type: 'output', stream: 'stderr', text: 'oops\n' })
    expect(r).toMatchObject({ status: 'error', exitCode: 1, executionTime: 0.02, environment: 'server', id: 'r1', message: 'Process exited with code 1' })
    expect(quota.get()).toMatchObject({ limit: 5, remaining: 4 })
    expect(h.status()).toBe('error')
  })

  it('delivers output as it arrives, before the run completes', async () => {
    const { srv, runner } = setup()
    let live!: LiveStream
    srv.answerStream((s) => (live = s))
    const h = runner.run({ code: 'x', language: 'python' })
    const evs = collect(h)
    await settle()
    live.event({ type: 'start', id: 'r1', environment: 'server', language: 'python' })
    live.send('data: {"type":"output","con')
    await settle()
    expect(evs.filter((e) => e.type === 'output')).toHaveLength(0)
    live.send('tent":"1\\n"}\n\n')
    await settle()
    expect(evs.filter((e) => e.type === 'output')).toEqual([{ type: 'output', stream: 'stdout', text: '1\n' }])
    expect(h.status()).toBe('running')
    live.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 1 })
    live.close()
    expect((await h.done).status).toBe('success')
  })

  it('sends typed input to /stdin with the run id, queueing it until the run has one', async () => {
    const { srv, runner } = setup()
    let live!: LiveStream
    srv.answerStream((s) => (live = s))
    const h = runner.run({ code: 'input()', language: 'python' })
    expect(h.interactive).toBe(true)
    await h.sendInput('early\n')
    await settle()
    live.event({ type: 'start', id: 'r9', environment: 'server', language: 'python' })
    await settle()
    await h.sendInput('Ada\n')
    await h.closeInput()
    expect(srv.posts('/stdin').map((c) => [c.url, c.body])).toEqual([
      ['/api/v1/code/executions/r9/stdin', { data: 'early\n' }],
      ['/api/v1/code/executions/r9/stdin', { data: 'Ada\n' }],
      ['/api/v1/code/executions/r9/stdin', { eof: true }],
    ])
    live.event({ type: 'complete', status: 'success', exit_code: 0 })
    live.close()
    await h.done
  })

  it('a run with fixed stdin is not interactive and sends no input', async () => {
    const { srv, runner } = setup()
    srv.answerStream((s) => {
      s.event({ type: 'start', id: 'r1' })
      s.event({ type: 'complete', status: 'success', exit_code: 0 })
      s.close()
    })
    const h = runner.run({ code: 'input()', language: 'python', stdin: '3\n' })
    expect(h.interactive).toBe(false)
    await h.sendInput('x\n')
    await h.done
    expect(srv.posts('/execute/stream')[0].body).toMatchObject({ stdin: '3\n' })
    expect(srv.posts('/stdin')).toHaveLength(0)
  })

  it('Stop posts /cancel and reports the server\'s cancelled', async () => {
    const { srv, runner } = setup()
    let live!: LiveStream
    srv.answerStream((s) => {
      live = s
      s.event({ type: 'start', id: 'r2', environment: 'server', language: 'python' })
    })
    srv.onCancel = () => {
      queueMicrotask(() => {
        live.event({ type: 'complete', status: 'cancelled', exit_code: null, execution_time: 0.3, error: 'Cancelled' })
        live.close()
      })
      return { kind: 'json', status: 202, body: {} }
    }
    const h = runner.run({ code: 'while True: pass', language: 'python' })
    await settle()
    await h.stop()
    const r = await h.done
    expect(srv.posts('/cancel')[0].url).toBe('/api/v1/code/executions/r2/cancel')
    expect(r.status).toBe('cancelled')
  })

  it('Stop ends the run locally when the server does not confirm in time', async () => {
    const { srv, runner } = setup({ stopGraceMs: 10 })
    srv.answerStream((s) => s.event({ type: 'start', id: 'r3' }))
    srv.onCancel = () => ({ kind: 'json', status: 202, body: {} }) // and then silence
    const h = runner.run({ code: 'x', language: 'python' })
    await settle()
    await h.stop()
    expect((await h.done).status).toBe('cancelled')
  })

  it('Stop before the start event aborts the request', async () => {
    const { srv, runner } = setup()
    srv.answerStream(() => {})
    const h = runner.run({ code: 'x', language: 'python' })
    await settle()
    await h.stop()
    expect((await h.done).status).toBe('cancelled')
    expect(srv.posts('/cancel')).toHaveLength(0)
  })

  it('on 429 blocks runs for Retry-After seconds and counts down', async () => {
    const { srv, runner, quota, advance } = setup()
    srv.answerJSON(429, { error: 'rate limit exceeded: 5 runs per minute', code: 'rate_limited' }, {
      'Retry-After': '12', 'RateLimit-Limit': '5', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '12',
    })
    const h = runner.run({ code: 'x', language: 'python' })
    const r = await h.done
    expect(r).toMatchObject({ status: 'rate_limited', retryAfter: 12, message: 'rate limit exceeded: 5 runs per minute' })
    expect(quota.secondsBlocked()).toBe(12)
    advance(5_000)
    expect(quota.secondsBlocked()).toBe(7)
    advance(7_000)
    expect(quota.secondsBlocked()).toBe(0)
    expect(quota.get().limit).toBe(5)
  })

  it('retries a 503 after Retry-After, a bounded number of times', async () => {
    const { srv, runner, sleeps } = setup({ busyRetries: 2 })
    srv.answerJSON(503, { error: 'all sandboxes are busy', code: 'busy' }, { 'Retry-After': '2' })
    srv.answerJSON(503, { error: 'all sandboxes are busy', code: 'busy' }, { 'Retry-After': '1' })
    srv.answerStream((s) => {
      s.event({ type: 'start', id: 'r4' })
      s.event({ type: 'complete', status: 'success', exit_code: 0 })
      s.close()
    })
    const h = runner.run({ code: 'x', language: 'python' })
    const evs = collect(h)
    expect((await h.done).status).toBe('success')
    expect(sleeps).toEqual([2000, 1000])
    expect(evs.filter((e) => e.type === 'retrying')).toHaveLength(2)

    srv.answerJSON(503, { error: 'busy', code: 'busy' }, { 'Retry-After': '1' })
    srv.answerJSON(503, { error: 'busy', code: 'busy' }, { 'Retry-After': '1' })
    srv.answerJSON(503, { error: 'still busy', code: 'busy' }, { 'Retry-After': '1' })
    const r = await runner.run({ code: 'x', language: 'python' }).done
    expect(r).toMatchObject({ status: 'busy', message: 'still busy', retryAfter: 1 })
  })

  it('does not wait out a long 503 Retry-After: shows it instead', async () => {
    const { srv, runner, sleeps } = setup({ maxBusyWaitSeconds: 10 })
    srv.answerJSON(503, { error: 'rate limiting is unavailable', code: 'rate_limiter_unavailable' }, { 'Retry-After': '30' })
    const r = await runner.run({ code: 'x', language: 'python' }).done
    expect(r).toMatchObject({ status: 'busy', retryAfter: 30 })
    expect(sleeps).toEqual([])
  })

  it('reports an environment the server lacks at once, without retrying', async () => {
    const { srv, runner, sleeps } = setup()
    srv.answerJSON(503, { error: 'environment ros2 needs the ros2 image', code: 'environment_unavailable' }, { 'Retry-After': '10' })
    const r = await runner.run({ code: 'x', language: 'python' }).done
    expect(r).toMatchObject({ status: 'unavailable', message: 'environment ros2 needs the ros2 image' })
    expect(sleeps).toEqual([])
  })

  it('reports a policy rejection and other refusals with the server\'s message', async () => {
    const { srv, runner } = setup()
    srv.answerJSON(422, { error: 'Security violation: import os is not allowed', code: 'policy_violation' })
    srv.answerJSON(400, { error: 'code is empty', code: 'empty_code' })
    expect(await runner.run({ code: 'import os', language: 'python' }).done).toMatchObject({ status: 'rejected', message: 'Security violation: import os is not allowed' })
    expect(await runner.run({ code: ' ', language: 'python' }).done).toMatchObject({ status: 'failed', message: 'code is empty' })
  })

  it('shows a network loss mid-run as an error, not a spinner', async () => {
    const { srv, runner } = setup()
    srv.answerStream((s) => {
      s.event({ type: 'start', id: 'r5' })
      s.event({ type: 'output', content: 'partial\n' })
      // Later, after the reader took the chunks (erroring a stream discards queued ones).
      setTimeout(() => s.fail(new TypeError('network error')), 20)
    })
    const h = runner.run({ code: 'x', language: 'python' })
    const evs = collect(h)
    const r = await h.done
    expect(r.status).toBe('network_error')
    expect(r.message).toMatch(/Connection lost/)
    expect(evs.some((e) => e.type === 'output')).toBe(true)
  })

  it('treats a stream that ends without complete, or a refused connection, as a network error', async () => {
    const { srv, runner } = setup()
    srv.answerStream((s) => {
      s.event({ type: 'start', id: 'r6' })
      s.close()
    })
    srv.answerNetworkError()
    expect((await runner.run({ code: 'x', language: 'python' }).done).status).toBe('network_error')
    expect((await runner.run({ code: 'x', language: 'python' }).done)).toMatchObject({ status: 'network_error', message: expect.stringMatching(/Could not reach/) })
  })

  it('gives up on a stream that goes silent for longer than the stall limit', async () => {
    const { srv, runner } = setup({ stallMs: 30 })
    srv.answerStream((s) => s.event({ type: 'start', id: 'r7' }))
    const r = await runner.run({ code: 'x', language: 'python' }).done
    expect(r.status).toBe('network_error')
    expect(r.message).toMatch(/no data/)
  })

  it('reads the quota from GET /stats', async () => {
    const { srv, runner, quota } = setup()
    srv.stats = { rate_limit: 3, remaining: 1, reset_in_seconds: 20 }
    await runner.refreshStats()
    expect(quota.get()).toMatchObject({ limit: 3, remaining: 1, resetAt: 1_000_000 + 20_000 })
  })

  it('reports each queued position, then starts; input typed while queued waits for the start', async () => {
    const { srv, runner } = setup()
    let live!: LiveStream
    srv.answerStream((s) => (live = s))
    const h = runner.run({ code: 'input()', language: 'python' })
    const evs = collect(h)
    await settle()
    live.event({ type: 'queued', id: 'q1', position: 3, estimated_wait: 6 })
    live.event({ type: 'queued', id: 'q1', position: 1, estimated_wait: 2 })
    await settle()
    expect(h.id()).toBe('q1')
    expect(h.status()).toBe('starting')
    await h.sendInput('hi\n')
    expect(srv.posts('/stdin')).toHaveLength(0)
    live.event({ type: 'start', id: 'q1', environment: 'server', language: 'python' })
    await settle()
    expect(srv.posts('/executions/q1/stdin')).toHaveLength(1)
    live.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 0.1 })
    live.close()
    await h.done
    expect(evs.filter((e) => e.type === 'queued')).toEqual([
      { type: 'queued', id: 'q1', position: 3, estimatedWait: 6 },
      { type: 'queued', id: 'q1', position: 1, estimatedWait: 2 },
    ])
    expect(evs.map((e) => e.type)).toEqual(['queued', 'queued', 'start', 'complete'])
  })

  it('Stop while queued cancels the run by id and ends in cancelled', async () => {
    const { srv, runner } = setup()
    let live!: LiveStream
    srv.answerStream((s) => (live = s))
    srv.onCancel = () => {
      setTimeout(() => {
        live.event({ type: 'complete', status: 'cancelled', execution_time: 0 })
        live.close()
      })
      return { kind: 'json', status: 202, body: {} }
    }
    const h = runner.run({ code: 'x', language: 'python' })
    await settle()
    live.event({ type: 'queued', id: 'q2', position: 4, estimated_wait: 9 })
    await settle()
    await h.stop()
    expect(srv.posts('/executions/q2/cancel')).toHaveLength(1)
    expect((await h.done).status).toBe('cancelled')
  })
})
