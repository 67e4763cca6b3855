import { createContext, useContext } from 'react'
import { ServerRunner } from '../runner/server'

/** One runner per page, so the quota (per user, not per block) is shared. */
export const RunnerContext = createContext<ServerRunner | null>(null)

let fallback: ServerRunner | null = null

export function useRunner(): ServerRunner {
  const r = useContext(RunnerContext)
  if (r) return r
  fallback ??= new ServerRunner()
  return fallback
}
