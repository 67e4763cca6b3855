import type { Submission } from '../lib/api'

const summaries: Record<Submission['status'], string> = {
  passed: 'All tests passed',
  failed: 'Some tests failed',
  error: 'The tests could not finish',
  timeout: 'The tests ran out of time',
}

/**
 * A submission's verdicts as a list whose every row says "passed" or
 * "failed" in words: colour and the check mark only repeat it.
 */
export function TestResults({ result }: { result: Submission }) {
  return (
    <section className={`rb-tests rb-tests-${result.status}`} aria-label="Test results" data-testid="test-results">
      <p className="rb-tests-summary" role="status">
        <strong>{summaries[result.status]}</strong>
        {result.total > 0 && <> — {result.passed} of {result.total} passed</>}
      </p>
      {result.message && <p className="rb-tests-message">{result.message}</p>}
      {result.tests.length > 0 && (
        <ul className="rb-tests-list">
          {result.tests.map((t) => (
            <li key={t.name} className={t.passed ? 'rb-test-pass' : 'rb-test-fail'} data-passed={t.passed}>
              <span className="rb-test-mark" aria-hidden="true">{t.passed ? '✓' : '✗'}</span>
              <span className="rb-test-verdict">{t.passed ? 'passed' : 'failed'}</span>
              <span className="rb-test-label">
                <code className="rb-test-name">{breakable(t.name)}</code>
                {t.hidden && <> <span className="rb-test-hidden">hidden</span></>}
              </span>
              {!t.passed && t.message && <span className="rb-test-msg">{t.message}</span>}
            </li>
          ))}
        </ul>
      )}
      {result.output && (
        <details className="rb-tests-output">
          <summary>Your program's output</summary>
          <pre>{result.output}</pre>
        </details>
      )}
    </section>
  )
}

/** A test's name with a line-break opportunity after each dot, so that a
 * narrow screen wraps `Class.test_name` between its parts, not mid-word. */
function breakable(name: string) {
  const parts = name.split('.')
  return parts.map((p, i) => (
    <span key={i}>
      {p}
      {i < parts.length - 1 && <>.<wbr /></>}
    </span>
  ))
}
