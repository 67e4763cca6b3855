import { describe, expect, it } from 'vitest'
import { render, screen, within } from '@testing-library/react'
import { TestResults } from './TestResults'
import type { Submission } from '../lib/api'

const result: Submission = {
  id: 'x', status: 'failed', passed: 1, failed: 1, total: 2, message: null, output: 'hi\n', error: null,
  execution_time: 0.1, solved: false,
  tests: [
    { name: 'test_one', suite: 'examples', hidden: false, passed: true, message: '', time_ms: 1 },
    { name: 'Hidden.test_big', suite: 'hidden tests', hidden: true, passed: false, message: "'99' != 'Fizz'", time_ms: 2 },
  ],
}

describe('TestResults', () => {
  it('says passed or failed in words for each test, marks hidden ones, and shows failure messages', () => {
    render(<TestResults result={result} />)
    const region = screen.getByRole('region', { name: 'Test results' })
    expect(within(region).getByRole('status').textContent).toMatch(/Some tests failed — 1 of 2 passed/)
    const items = within(region).getAllByRole('listitem')
    expect(items).toHaveLength(2)
    expect(items[0].textContent).toMatch(/passed\s*test_one/)
    expect(items[1].textContent).toMatch(/failed\s*Hidden\.test_big\s*hidden\s*'99' != 'Fizz'/)
  })

  it('explains a suite that could not finish', () => {
    render(<TestResults result={{ ...result, status: 'error', tests: [], total: 0, passed: 0, failed: 0, message: 'SyntaxError: invalid syntax' }} />)
    expect(screen.getByRole('status').textContent).toMatch(/could not finish/)
    expect(screen.getByText('SyntaxError: invalid syntax')).toBeTruthy()
  })
})
