import { describe, expect, it } from 'vitest'
import { TerminalModel, applySGR } from './terminal'

const text = (t: TerminalModel) => t.plainText()

describe('TerminalModel', () => {
  it('keeps stdout and stderr as separate segments on one line', () => {
    const t = new TerminalModel()
    t.write('stdout', 'out ')
    t.write('stderr', 'err\n')
    expect(t.lines[0].segs.map((s) => [s.stream, s.text])).toEqual([
      ['stdout', 'out '],
      ['stderr', 'err'],
    ])
  })

  it('rewrites the current line on \\r, as tqdm progress bars need', () => {
    const t = new TerminalModel()
    t.write('stderr', ' 10%|#         |\r')
    t.write('stderr', ' 50%|#####     |\r')
    t.write('stderr', '100%|##########|\n')
    t.write('stdout', 'done\n')
    expect(text(t)).toBe('100%|##########|\ndone')
  })

  it('overwrites only the characters written after \\r', () => {
    const t = new TerminalModel()
    t.write('stdout', 'abcdef\rXY\n')
    expect(text(t)).toBe('XYcdef')
  })

  it('treats \\r\\n as a newline and handles backspace and ESC[K', () => {
    const t = new TerminalModel()
    t.write('stdout', 'one\r\ntwo\bO\nlong line\r\x1b[Kshort\n')
    expect(text(t)).toBe('one\ntwO\nshort')
  })

  it('applies SGR colours and resets, also when the sequence is split across writes', () => {
    const t = new TerminalModel()
    t.write('stdout', 'plain \x1b[1;3')
    t.write('stdout', '1mred bold\x1b[0m back')
    const segs = t.lines[0].segs
    expect(segs.map((s) => s.text)).toEqual(['plain ', 'red bold', ' back'])
    expect(segs[1].style).toMatchObject({ fg: 1, bold: true })
    expect(segs[0].style).toBeNull()
    expect(segs[2].style).toBeNull()
  })

  it('maps 256-colour and truecolour codes', () => {
    expect(applySGR(null, '38;5;196')?.fg).toBe('rgb(255,0,0)')
    expect(applySGR(null, '48;2;1;2;3')?.bg).toBe('rgb(1,2,3)')
    expect(applySGR(null, '92')?.fg).toBe(10)
    expect(applySGR(applySGR(null, '31'), '39')).toBeNull()
  })

  it('drops the oldest lines past the cap and counts them', () => {
    const t = new TerminalModel({ maxLines: 100 })
    let big = ''
    for (let i = 0; i < 10_000; i++) big += `line ${i}\n`
    t.write('stdout', big)
    expect(t.lines.length).toBe(100)
    expect(t.dropped).toBe(10_000 - 99)
    expect(t.lines[t.lines.length - 2].segs[0].text).toBe('line 9999')
  })

  it('clips a line that never ends and says how much it dropped', () => {
    const t = new TerminalModel({ maxLineChars: 10 })
    t.write('stdout', 'x'.repeat(25))
    expect(text(t)).toBe('x'.repeat(10))
    expect(t.clipped).toBe(15)
  })

  it('echoes input after a prompt and reports the prompt', () => {
    const t = new TerminalModel()
    t.write('stdout', 'name? ')
    expect(t.atPrompt()).toBe(true)
    t.echo('Ada\n')
    expect(t.atPrompt()).toBe(false)
    expect(t.lines[0].segs.map((s) => s.stream)).toEqual(['stdout', 'stdin'])
    expect(text(t)).toBe('name? Ada')
  })

  it('replaces, never mutates, a changed line (renderers memoise on identity)', () => {
    const t = new TerminalModel()
    t.write('stdout', 'a\nb')
    const first = t.lines[0]
    const second = t.lines[1]
    t.write('stdout', 'c')
    expect(t.lines[0]).toBe(first)
    expect(t.lines[1]).not.toBe(second)
    expect(t.lines[1].id).toBe(second.id)
  })
})
