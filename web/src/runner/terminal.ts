// A small terminal screen model for program output: ANSI SGR colours, `\r`
// rewriting the current line (progress bars such as tqdm), `\b`, `ESC[K`, and
// bounded memory. Framework-free so any renderer can draw it.

import type { RunImage } from './image'

export type Stream = 'stdout' | 'stderr' | 'stdin' | 'system'

export interface Style {
  fg: number | string | null // 0-15 palette index, or a CSS colour
  bg: number | string | null
  bold: boolean
  dim: boolean
  italic: boolean
  underline: boolean
  inverse: boolean
}

export interface Segment {
  text: string
  stream: Stream
  style: Style | null
}

/**
 * Lines are replaced, never mutated, so a renderer can memoise on identity.
 * A line with an image holds nothing else: the figure sits between the text
 * written before and after it, as it was produced.
 */
export interface Line {
  readonly id: number
  readonly segs: readonly Segment[]
  readonly image?: RunImage
}

export interface TerminalLimits {
  maxLines: number
  maxLineChars: number
}

const plain: Style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false, inverse: false }

interface StreamState {
  style: Style | null
  pending: string // an escape sequence split across writes
}

export class TerminalModel {
  lines: Line[] = [{ id: 0, segs: [] }]
  /** Lines dropped from the top to stay within maxLines. */
  dropped = 0
  /** Characters dropped because a single line grew past maxLineChars. */
  clipped = 0
  version = 0
  private col = 0
  private nextId = 1
  private states: Record<string, StreamState> = {}
  private limits: TerminalLimits

  constructor(limits: Partial<TerminalLimits> = {}) {
    this.limits = { maxLines: 2000, maxLineChars: 5000, ...limits }
  }

  clear() {
    this.lines = [{ id: this.nextId++, segs: [] }]
    this.dropped = 0
    this.clipped = 0
    this.col = 0
    this.states = {}
    this.version++
  }

  /** Program output, possibly containing escape sequences. */
  write(stream: 'stdout' | 'stderr', text: string) {
    const st = (this.states[stream] ??= { style: null, pending: '' })
    let s = st.pending + text
    st.pending = ''
    let i = 0
    const special = /[\x00-\x08\x0a-\x1f\x7f]/g
    while (i < s.length) {
      special.lastIndex = i
      const m = special.exec(s)
      const end = m ? m.index : s.length
      if (end > i) this.put(s.slice(i, end), stream, st.style)
      if (!m) break
      i = end
      const c = s[i]
      if (c === '\n') {
        this.newline()
        i++
      } else if (c === '\r') {
        this.col = 0
        i++
      } else if (c === '\b') {
        if (this.col > 0) this.col--
        i++
      } else if (c === '\x1b') {
        const n = this.escape(s, i, st)
        if (n < 0) {
          st.pending = s.slice(i)
          break
        }
        i = n
      } else {
        i++ // other control characters (bell, etc.) draw nothing
      }
    }
    this.version++
  }

  /** What the learner typed, echoed as the terminal would. */
  echo(text: string) {
    for (const part of text.split(/(\n)/)) {
      if (part === '\n') this.newline()
      else if (part) this.put(part, 'stdin', null)
    }
    this.version++
  }

  /** A message from the page itself (not the program), on its own line. */
  note(text: string) {
    if (this.last().segs.length > 0) this.newline()
    this.put(text, 'system', null)
    this.newline()
    this.version++
  }

  /** A figure, on a line of its own where the output has got to. */
  image(img: RunImage) {
    if (this.last().segs.length > 0) this.newline()
    const line = this.last()
    this.lines[this.lines.length - 1] = { id: line.id, segs: [], image: img }
    this.newline()
    this.version++
  }

  /** The images still held, in order. */
  images(): RunImage[] {
    return this.lines.flatMap((l) => (l.image ? [l.image] : []))
  }

  /** Ensures later writes start on a fresh line. */
  ensureNewline() {
    if (this.last().segs.length > 0) {
      this.newline()
      this.version++
    }
  }

  /** True when the last line holds text that no newline followed (a prompt). */
  atPrompt(): boolean {
    return this.last().segs.length > 0
  }

  plainText(): string {
    const out = this.lines.map((l) => (l.image ? `[image: ${l.image.alt}]` : l.segs.map((s) => s.text).join('')))
    while (out.length > 0 && out[out.length - 1] === '') out.pop()
    return out.join('\n')
  }

  isEmpty(): boolean {
    return this.lines.length === 1 && this.lines[0].segs.length === 0 && this.dropped === 0
  }

  private last(): Line {
    return this.lines[this.lines.length - 1]
  }

  private newline() {
    this.lines.push({ id: this.nextId++, segs: [] })
    this.col = 0
    const over = this.lines.length - this.limits.maxLines
    if (over > 0) {
      this.lines.splice(0, over)
      this.dropped += over
    }
  }

  private put(text: string, stream: Stream, style: Style | null) {
    const line = this.last()
    const len = lineLength(line)
    const room = this.limits.maxLineChars - this.col
    if (room <= 0) {
      this.clipped += text.length
      return
    }
    if (text.length > room) {
      this.clipped += text.length - room
      text = text.slice(0, room)
    }
    const seg: Segment = { text, stream, style }
    let segs: Segment[]
    if (this.col >= len) {
      segs = [...line.segs]
      const prev = segs[segs.length - 1]
      if (prev && prev.stream === stream && prev.style === style) segs[segs.length - 1] = { ...prev, text: prev.text + text }
      else segs.push(seg)
    } else {
      segs = [...sliceSegs(line.segs, 0, this.col), seg, ...sliceSegs(line.segs, this.col + text.length, len)]
    }
    this.col += text.length
    this.lines[this.lines.length - 1] = { id: line.id, segs }
  }

  private eraseLine(mode: number) {
    const line = this.last()
    const len = lineLength(line)
    let segs: Segment[]
    if (mode === 2) segs = []
    else if (mode === 1) segs = [{ text: ' '.repeat(this.col), stream: 'stdout', style: null }, ...sliceSegs(line.segs, this.col, len)]
    else segs = sliceSegs(line.segs, 0, this.col)
    this.lines[this.lines.length - 1] = { id: line.id, segs }
  }

  /** Handles the escape sequence at s[i]; returns the index after it, or -1 if incomplete. */
  private escape(s: string, i: number, st: StreamState): number {
    if (i + 1 >= s.length) return -1
    const kind = s[i + 1]
    if (kind === '[') {
      let j = i + 2
      while (j < s.length && s.charCodeAt(j) >= 0x20 && s.charCodeAt(j) <= 0x3f) j++
      if (j >= s.length) return -1
      const final = s[j]
      const params = s.slice(i + 2, j)
      if (final === 'm') st.style = applySGR(st.style, params)
      else if (final === 'K') this.eraseLine(Number(params) || 0)
      else if (final === 'G') this.col = Math.max(0, (Number(params) || 1) - 1)
      return j + 1
    }
    if (kind === ']') {
      // OSC (window titles, hyperlinks): ends with BEL or ESC \ ; draws nothing.
      for (let j = i + 2; j < s.length; j++) {
        if (s[j] === '\x07') return j + 1
        if (s[j] === '\x1b' && s[j + 1] === '\\') return j + 2
      }
      return s.length - i > 4096 ? s.length : -1
    }
    return i + 2
  }
}

function lineLength(l: Line): number {
  let n = 0
  for (const s of l.segs) n += s.text.length
  return n
}

function sliceSegs(segs: readonly Segment[], from: number, to: number): Segment[] {
  const out: Segment[] = []
  let pos = 0
  for (const s of segs) {
    const a = Math.max(from, pos)
    const b = Math.min(to, pos + s.text.length)
    if (a < b) out.push(a === pos && b === pos + s.text.length ? s : { ...s, text: s.text.slice(a - pos, b - pos) })
    pos += s.text.length
    if (pos >= to) break
  }
  return out
}

const cube = [0, 95, 135, 175, 215, 255]

function color256(n: number): number | string {
  if (n < 16) return n
  if (n < 232) {
    const v = n - 16
    return `rgb(${cube[Math.floor(v / 36)]},${cube[Math.floor(v / 6) % 6]},${cube[v % 6]})`
  }
  const g = 8 + (n - 232) * 10
  return `rgb(${g},${g},${g})`
}

export function applySGR(current: Style | null, params: string): Style | null {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)))
  let st: Style = { ...(current ?? plain) }
  for (let k = 0; k < codes.length; k++) {
    const c = codes[k]
    if (c === 0) st = { ...plain }
    else if (c === 1) st.bold = true
    else if (c === 2) st.dim = true
    else if (c === 3) st.italic = true
    else if (c === 4) st.underline = true
    else if (c === 7) st.inverse = true
    else if (c === 22) st.bold = st.dim = false
    else if (c === 23) st.italic = false
    else if (c === 24) st.underline = false
    else if (c === 27) st.inverse = false
    else if (c >= 30 && c <= 37) st.fg = c - 30
    else if (c >= 90 && c <= 97) st.fg = c - 90 + 8
    else if (c === 39) st.fg = null
    else if (c >= 40 && c <= 47) st.bg = c - 40
    else if (c >= 100 && c <= 107) st.bg = c - 100 + 8
    else if (c === 49) st.bg = null
    else if (c === 38 || c === 48) {
      let col: number | string | null = null
      if (codes[k + 1] === 5 && k + 2 < codes.length) {
        col = color256(codes[k + 2] & 255)
        k += 2
      } else if (codes[k + 1] === 2 && k + 4 < codes.length) {
        col = `rgb(${codes[k + 2] & 255},${codes[k + 3] & 255},${codes[k + 4] & 255})`
        k += 4
      }
      if (c === 38) st.fg = col
      else st.bg = col
    }
  }
  const isPlain = Object.keys(plain).every((key) => st[key as keyof Style] === plain[key as keyof Style])
  return isPlain ? null : st
}
