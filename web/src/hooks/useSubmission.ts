import { useCallback, useEffect, useRef, useState } from 'react'
import { submitSolution, type Submission } from '../lib/api'

export interface SubmissionState {
  submitting: boolean
  result: Submission | null
  error: string | null
  solved: boolean
  submit: (code: string) => void
}

/** Binds one exercise block to POST /submit. */
export function useSubmission(contentId: string, blockId: string, initiallySolved: boolean): SubmissionState {
  const [submitting, setSubmitting] = useState(false)
  const [result, setResult] = useState<Submission | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [solved, setSolved] = useState(initiallySolved)
  const ac = useRef<AbortController | null>(null)

  useEffect(() => setSolved(initiallySolved), [initiallySolved])
  useEffect(() => () => ac.current?.abort(), [])

  const submit = useCallback(
    (code: string) => {
      ac.current?.abort()
      const c = new AbortController()
      ac.current = c
      setSubmitting(true)
      setError(null)
      submitSolution(contentId, blockId, code, c.signal)
        .then((r) => {
          setResult(r)
          if (r.solved) setSolved(true)
        })
        .catch((e: unknown) => {
          if (!c.signal.aborted) setError(e instanceof Error ? e.message : String(e))
        })
        .finally(() => {
          if (ac.current === c) setSubmitting(false)
        })
    },
    [contentId, blockId],
  )
  return { submitting, result, error, solved, submit }
}
