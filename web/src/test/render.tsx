import type { ReactNode } from 'react'
import { RunnerContext } from '../hooks/RunnerContext'
import { ServerRunner } from '../runner/server'
import { QuotaStore } from '../runner/quota'
import { FakeServer } from './fakeServer'

/** A runner over a FakeServer, and a wrapper that provides it to components. */
export function fakeRunner(opts: ConstructorParameters<typeof ServerRunner>[0] = {}) {
  const srv = new FakeServer()
  const quota = opts.quota ?? new QuotaStore()
  const runner = new ServerRunner({ fetch: srv.fetch, quota, sleep: async () => {}, ...opts })
  const wrapper = ({ children }: { children: ReactNode }) => <RunnerContext value={runner}>{children}</RunnerContext>
  return { srv, runner, quota, wrapper }
}
