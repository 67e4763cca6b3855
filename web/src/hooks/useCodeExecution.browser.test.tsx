import { act, renderHook, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import { describe, expect, it } from 'vitest'
import { useCodeExecution } from './useCodeExecution'
import { RunnerContext } from './RunnerContext'
import { AutoRunner } from '../runner/auto'
import { PyodideClient } from '../runner/pyodide/client'
import { PyodideRunner } from '../runner/pyodide/runner'
import { ServerRunner } from '../runner/server'
import { FakePyodide } from '../test/fakePyodideWorker'
import { FakeServer } from '../test/fakeServer'

function autoRunner() {
  const srv = new FakeServer()
  const fake = new FakePyodide()
  const client = new PyodideClient({ createWorker: fake.create, isolated: () => true })
  const runner = new AutoRunner(new ServerRunner({ fetch: srv.fetch, sleep: async () => {} }), new PyodideRunner(client))
  const wrapper = ({ children }: { children: ReactNode }) => <RunnerContext value={runner}>{children}</RunnerContext>
  return { srv, fake, client, runner, wrapper }
}

describe('useCodeExecution with Python in the browser', () => {
  it("the server's 429 holds back server blocks only: a block the browser runs stays runnable", async () => {
    const { srv, fake, client, wrapper } = autoRunner()
    await client.load()
    fake.program('print(1)', async (io) => io.write('1\n'))
    srv.answerJSON(429, { error: 'rate limit exceeded', code: 'rate_limited' }, { 'Retry-After': '30' })
    const server = renderHook(() => useCodeExecution({ language: 'python', environment: 'server' }), { wrapper })
    const browser = renderHook(() => useCodeExecution({ language: 'python', environment: 'auto' }), { wrapper })
    act(() => server.result.current.run('print(1)'))
    await waitFor(() => expect(server.result.current.status).toBe('rate_limited'))
    expect(server.result.current.blockedSeconds).toBe(30)
    expect(browser.result.current.blockedSeconds).toBe(0)

    act(() => browser.result.current.run('print(1)'))
    await waitFor(() => expect(browser.result.current.status).toBe('success'))
    expect(browser.result.current.environment).toBe('pyodide')
    expect(browser.result.current.terminal.plainText()).toBe('1')
    // The server block is still refused locally: no second request.
    act(() => server.result.current.run('print(1)'))
    expect(srv.posts('/execute/stream')).toHaveLength(1)
  })

  it('when Python failed to load, a 429 holds back Python blocks too (they would go to the server)', async () => {
    const { srv, fake, client, wrapper } = autoRunner()
    fake.loadError = 'blocked'
    await client.load()
    srv.answerJSON(429, { error: 'rate limit exceeded', code: 'rate_limited' }, { 'Retry-After': '30' })
    const auto = renderHook(() => useCodeExecution({ language: 'python' }), { wrapper })
    act(() => auto.result.current.run('print(1)'))
    await waitFor(() => expect(auto.result.current.status).toBe('rate_limited'))
    expect(auto.result.current.blockedSeconds).toBe(30)
  })
})
