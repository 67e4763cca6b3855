// An incremental Server-Sent Events parser (the WHATWG event-stream format)
// for fetch bodies: bytes arrive in arbitrary chunks, so a frame, a line or
// even a multi-byte character may be split between two of them.

export interface SSEFrame {
  event: string
  data: string
  id: string | null
}

export class SSEParser {
  private decoder = new TextDecoder('utf-8')
  private buf = ''
  private data: string[] = []
  private event = ''
  private lastId: string | null = null
  private sawCR = false

  /** Feeds bytes (or already decoded text); returns the frames completed by them. */
  push(chunk: Uint8Array | string): SSEFrame[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true })
    return this.feed(text)
  }

  /** Flushes the decoder at end of stream. An unterminated frame is dropped, as the spec says. */
  end(): SSEFrame[] {
    return this.feed(this.decoder.decode())
  }

  private feed(text: string): SSEFrame[] {
    const out: SSEFrame[] = []
    let start = 0
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 10 /* \n */) {
        if (this.sawCR && i === start && this.buf === '') {
          // Second half of a CRLF whose CR ended the previous line.
          this.sawCR = false
          start = i + 1
          continue
        }
        this.line(this.buf + text.slice(start, i), out)
        this.buf = ''
        this.sawCR = false
        start = i + 1
      } else if (c === 13 /* \r */) {
        this.line(this.buf + text.slice(start, i), out)
        this.buf = ''
        this.sawCR = true
        start = i + 1
      } else if (this.sawCR) {
        this.sawCR = false
      }
    }
    this.buf += text.slice(start)
    return out
  }

  private line(line: string, out: SSEFrame[]) {
    if (line === '') {
      if (this.data.length > 0) {
        out.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.lastId })
      }
      this.data = []
      this.event = ''
      return
    }
    if (line.startsWith(':')) return // comment (keep-alive)
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'data':
        this.data.push(value)
        break
      case 'event':
        this.event = value
        break
      case 'id':
        if (!value.includes('\0')) this.lastId = value
        break
      default:
        // retry and unknown fields do not matter for a fetch-read stream.
        break
    }
  }
}
