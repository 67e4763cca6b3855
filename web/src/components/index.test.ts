import { describe, expect, it } from 'vitest'
// Through the package's own "exports", as a React app depending on runblock-web imports it.
import * as components from 'runblock-web/components'
import * as runner from 'runblock-web/runner'

describe('package entry', () => {
  it('runblock-web/components exports the React components and the runner context', () => {
    for (const name of ['InteractiveCodeBlock', 'TerminalOutput', 'CodeEditor', 'RunnerContext', 'useCodeExecution', 'createPageRunner']) {
      expect(components).toHaveProperty(name)
    }
    expect(typeof runner.ServerRunner).toBe('function')
  })
})
