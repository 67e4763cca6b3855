import { describe, expect, it } from 'vitest'
import { SSEParser } from './sse'

const enc = new TextEncoder()

describe('SSEParser', () => {
  it('parses data-only frames and ignores keep-alive comments', () => {
    const p = new SSEParser()
    const frames = p.push('data: {"type":"start"}\n\n: keep-alive\n\ndata: {"type":"output","content":"hi"}\n\n')
    expect(frames.map((f) => f.data)).toEqual(['{"type":"start"}', '{"type":"output","content":"hi"}'])
    expect(frames[0].event).toBe('message')
  })

  it('joins a frame split across chunks at every position', () => {
    const text = 'data: {"type":"output","content":"a\\nb"}\n\ndata: second\n\n'
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SSEParser()
      const frames = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))]
      expect(frames.map((f) => f.data), `cut at ${cut}`).toEqual(['{"type":"output","content":"a\\nb"}', 'second'])
    }
  })

  it('keeps a multi-byte character split between two chunks intact', () => {
    const bytes = enc.encode('data: {"content":"héllo ✓ 🐍"}\n\n')
    for (let cut = 1; cut < bytes.length; cut++) {
      const p = new SSEParser()
      const frames = [...p.push(bytes.slice(0, cut)), ...p.push(bytes.slice(cut)), ...p.end()]
      expect(frames.map((f) => f.data), `cut at byte ${cut}`).toEqual(['{"content":"héllo ✓ 🐍"}'])
    }
  })

  it('handles CRLF and CR line endings, including a CRLF split across chunks', () => {
    const p = new SSEParser()
    const frames = [...p.push('data: one\r'), ...p.push('\n\r\n'), ...p.push('data: two\r\rdata: x\ndata: y\n\n')]
    expect(frames.map((f) => f.data)).toEqual(['one', 'two', 'x\ny'])
  })

  it('reads event and id fields, and drops an unterminated frame at the end', () => {
    const p = new SSEParser()
    const frames = p.push('event: tick\nid: 7\ndata:no-space\n\ndata: partial')
    expect(frames).toEqual([{ event: 'tick', data: 'no-space', id: '7' }])
    expect(p.end()).toEqual([])
  })
})
