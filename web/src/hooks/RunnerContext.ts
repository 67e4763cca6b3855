import { createContext, useContext } from 'react'
import type { PageRunner } from '../runner/auto'
import { ServerRunner } from '../runner/server'

/** One runner per page, so the quota (per user, not per block) is shared. */
export const RunnerContext = createContext<PageRunner | null>(null)

let fallback: PageRunner | null = null

export function useRunner(): PageRunner {
  const r = useContext(RunnerContext)
  if (r) return r
  fallback ??= new ServerRunner()
  return fallback
}
