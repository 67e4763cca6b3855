import { act, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { describe, expect, it, vi } from 'vitest'
import { TerminalOutput, type TerminalOutputProps } from './TerminalOutput'
import { TerminalModel } from '../runner/terminal'
import { png1 } from '../test/png'

function props(t: TerminalModel, over: Partial<TerminalOutputProps> = {}): TerminalOutputProps {
  return {
    terminal: t, version: t.version, status: 'running', result: null, environment: 'server', language: 'python',
    elapsed: 0.4, acceptsInput: false, onLine: () => {}, onEof: () => {}, ...over,
  }
}

describe('TerminalOutput images', () => {
  it('shows a figure inline where it was produced, with its alt text and a download link', () => {
    const t = new TerminalModel()
    t.write('stdout', 'before\n')
    t.image({ mime: 'image/png', data: png1, alt: 'Figure 1: sine wave' })
    t.write('stdout', 'after\n')
    render(<TerminalOutput {...props(t)} />)
    const log = screen.getByRole('log')
    const img = screen.getByRole('img', { name: 'Figure 1: sine wave' }) as HTMLImageElement
    expect(log.contains(img)).toBe(true)
    expect(img.getAttribute('src')).toBe(`data:image/png;base64,${png1}`)
    // In order: the image's line comes after "before" and before "after".
    const text = log.textContent!
    expect(text.indexOf('before')).toBeLessThan(text.indexOf('Download'))
    expect(text.indexOf('Download')).toBeLessThan(text.indexOf('after'))
    const dl = screen.getByRole('link', { name: 'Download Figure 1: sine wave' }) as HTMLAnchorElement
    expect(dl.getAttribute('download')).toBe('figure-1-sine-wave.png')
    expect(dl.getAttribute('href')).toBe(img.getAttribute('src'))
  })

  it('enlarges a figure in a dialog that names it, and closing it returns focus', async () => {
    const t = new TerminalModel()
    t.image({ mime: 'image/png', data: png1, alt: 'Figure 1' })
    render(<TerminalOutput {...props(t)} />)
    const open = screen.getByRole('button', { name: 'Enlarge image: Figure 1' })
    open.focus()
    fireEvent.click(open)
    const dialog = await screen.findByRole('dialog', { name: 'Figure 1' })
    expect(dialog.querySelector('img')?.getAttribute('alt')).toBe('Figure 1')
    expect(dialog.querySelector('figcaption')?.textContent).toBe('Figure 1')
    const close = screen.getByRole('button', { name: 'Close' })
    expect(document.activeElement).toBe(close)
    fireEvent.click(close)
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull())
    expect(document.activeElement).toBe(open)
  })

  it('copies images as [image: alt] in the output text', async () => {
    const t = new TerminalModel()
    t.write('stdout', 'x = 1\n')
    t.image({ mime: 'image/png', data: png1, alt: 'Figure 1' })
    const writeText = vi.fn(async () => {})
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    render(<TerminalOutput {...props(t)} />)
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy output' })))
    expect(writeText).toHaveBeenCalledWith('x = 1\n[image: Figure 1]')
  })
})
