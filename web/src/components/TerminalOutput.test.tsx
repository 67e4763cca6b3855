import { fireEvent, render, screen } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { TerminalOutput, type TerminalOutputProps } from './TerminalOutput'
import { TerminalModel } from '../runner/terminal'
import { emptyResult } from '../runner/handle'

function props(t: TerminalModel, over: Partial<TerminalOutputProps> = {}): TerminalOutputProps {
  return {
    terminal: t, version: t.version, status: 'running', result: null, environment: 'server', language: 'python',
    elapsed: 0.4, acceptsInput: false, onLine: () => {}, onEof: () => {}, ...over,
  }
}

describe('TerminalOutput', () => {
  it('renders stdout and stderr as distinct spans inside a log', () => {
    const t = new TerminalModel()
    t.write('stdout', 'fine\n')
    t.write('stderr', 'Traceback\n')
    render(<TerminalOutput {...props(t)} />)
    const log = screen.getByRole('log')
    expect(log.tagName).toBe('PRE')
    expect(screen.getByText('fine').className).toContain('rb-stdout')
    expect(screen.getByText('Traceback').className).toContain('rb-stderr')
    expect(screen.getByTestId('environment').textContent).toBe('python · server')
  })

  it('renders ANSI colours as classes and a \\r-rewritten line once', () => {
    const t = new TerminalModel()
    t.write('stdout', '\x1b[32mgreen\x1b[0m plain\n')
    t.write('stderr', '10%\r50%\r100%\n')
    render(<TerminalOutput {...props(t)} />)
    expect(screen.getByText('green').className).toContain('ansi-fg2')
    expect(screen.getByRole('log').textContent).toBe('green plain\n100%\n')
    expect(screen.queryByText(/10%/)).toBeNull()
  })

  it('shows an input at the prompt while the program can read; Enter sends the line, Ctrl+D ends input', () => {
    const t = new TerminalModel()
    t.write('stdout', 'name? ')
    const onLine = vi.fn()
    const onEof = vi.fn()
    render(<TerminalOutput {...props(t, { acceptsInput: true, onLine, onEof })} />)
    const input = screen.getByRole('textbox', { name: /Input for the program/ })
    expect(input.closest('pre')).toBe(screen.getByRole('log'))
    fireEvent.change(input, { target: { value: 'Ada' } })
    fireEvent.keyDown(input, { key: 'Enter' })
    expect(onLine).toHaveBeenCalledWith('Ada')
    expect((input as HTMLInputElement).value).toBe('')
    fireEvent.keyDown(input, { key: 'd', ctrlKey: true })
    expect(onEof).toHaveBeenCalled()
  })

  it('has no input field once the run is over, and says when there was no output', () => {
    const t = new TerminalModel()
    render(<TerminalOutput {...props(t, { status: 'success', result: emptyResult('success', { exitCode: 0, id: 'r1' }) })} />)
    expect(screen.queryByRole('textbox')).toBeNull()
    expect(screen.getByRole('log').textContent).toBe('(no output)')
  })

  it('says a refused run did not start', () => {
    const t = new TerminalModel()
    render(<TerminalOutput {...props(t, { status: 'rate_limited', result: emptyResult('rate_limited', { message: 'rate limit reached' }) })} />)
    expect(screen.getByRole('log').textContent).toBe('The program did not start.')
    expect(screen.getByRole('alert').textContent).toBe('rate limit reached')
  })

  it('shows the truncated notice and the final status, exit code and time', () => {
    const t = new TerminalModel()
    t.write('stdout', 'x\n')
    const result = emptyResult('error', { exitCode: 1, executionTime: 0.25, truncated: true, environment: 'server', message: 'Output limit reached' })
    render(<TerminalOutput {...props(t, { status: 'error', result, elapsed: 0.25 })} />)
    expect(screen.getByText(/Output truncated/)).toBeTruthy()
    const final = screen.getByTestId('final-status').textContent!
    expect(final).toContain('error')
    expect(final).toContain('exit code 1')
    expect(final).toContain('0.25 s')
    expect(final).toContain('ran on server')
    expect(screen.getByRole('alert').textContent).toBe('Output limit reached')
  })

  it('says how many early lines were dropped from a long output', () => {
    const t = new TerminalModel({ maxLines: 10 })
    for (let i = 0; i < 50; i++) t.write('stdout', `${i}\n`)
    render(<TerminalOutput {...props(t)} />)
    expect(screen.getByText(/41 earlier lines not shown/)).toBeTruthy()
  })

  it('copies the plain text of the output', async () => {
    const writeText = vi.fn(async () => {})
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    const t = new TerminalModel()
    t.write('stdout', '\x1b[1mbold\x1b[0m\nnext\n')
    render(<TerminalOutput {...props(t)} />)
    fireEvent.click(screen.getByRole('button', { name: 'Copy output' }))
    await screen.findByRole('button', { name: 'Copied' })
    expect(writeText).toHaveBeenCalledWith('bold\nnext')
  })
})
