import { describe, expect, it } from 'vitest'
import { ServerRunner } from './server'
import { QuotaStore } from './quota'
import { FakeServer } from '../test/fakeServer'
import { imageFileName, parseImage } from './image'
import { TerminalModel } from './terminal'
import type { RunEvent } from './types'
import { png1 } from '../test/png'


describe('image events', () => {
  it('the server path passes image events on in order with the text around them, and the dropped count', async () => {
    const srv = new FakeServer()
    const runner = new ServerRunner({ fetch: srv.fetch, quota: new QuotaStore(), sleep: async () => {} })
    srv.answerStream((s) => {
      s.event({ type: 'start', id: 'r1', environment: 'server', language: 'python' })
      s.event({ type: 'output', content: 'a\n' })
      s.event({ type: 'image', mime: 'image/png', data: png1, alt: 'Figure 1: sine' })
      s.event({ type: 'image', mime: 'image/svg+xml', data: 'PHN2Zy8+', alt: 'svg is refused' })
      s.event({ type: 'image', mime: 'image/png', data: 'not base64!', alt: 'broken' })
      s.event({ type: 'output', content: 'b\n' })
      s.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 0.5, images_dropped: 2 })
      s.close()
    })
    const h = runner.run({ code: 'plot', language: 'python', environment: 'server' })
    const evs: RunEvent[] = []
    h.on((e) => evs.push(e))
    const r = await h.done
    expect(evs.filter((e) => e.type !== 'start').map((e) => e.type)).toEqual(['output', 'image', 'output', 'complete'])
    expect(evs[2]).toEqual({ type: 'image', mime: 'image/png', data: png1, alt: 'Figure 1: sine' })
    expect(r.imagesDropped).toBe(2)
  })

  it('parseImage defaults the alt text and refuses what is not a raster image in base64', () => {
    expect(parseImage({ mime: 'IMAGE/PNG', data: png1 })).toEqual({ mime: 'image/png', data: png1, alt: 'Figure' })
    expect(parseImage({ mime: 'text/html', data: png1, alt: 'x' })).toBeNull()
    expect(parseImage({ mime: 'image/png', data: '', alt: 'x' })).toBeNull()
    expect(parseImage({ mime: 'image/png', data: '<script>', alt: 'x' })).toBeNull()
  })

  it('names downloads after the alt text', () => {
    expect(imageFileName({ mime: 'image/png', data: png1, alt: 'Figure 2: Sales / month' }, 2)).toBe('figure-2-sales-month.png')
    expect(imageFileName({ mime: 'image/jpeg', data: png1, alt: '€€' }, 3)).toBe('figure-3.jpg')
  })

  it('the terminal holds an image on its own line between the text, and copies it as [image: alt]', () => {
    const t = new TerminalModel()
    t.write('stdout', 'before')
    t.image({ mime: 'image/png', data: png1, alt: 'Figure 1' })
    t.write('stdout', 'after\n')
    expect(t.lines.map((l) => (l.image ? 'IMG' : l.segs.map((s) => s.text).join('')))).toEqual(['before', 'IMG', 'after', ''])
    expect(t.plainText()).toBe('before\n[image: Figure 1]\nafter')
    expect(t.images()).toHaveLength(1)
    t.clear()
    expect(t.images()).toHaveLength(0)
  })
})
