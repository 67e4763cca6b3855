import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeServer, type LiveStream } from '../test/fakeServer'
import { png1 } from '../test/png'
import { configureEmbed, dedent, RunblockCode } from './element'
import { upgrade } from './index'

let srv: FakeServer
let seen: Array<{ url: string; auth: string | null; credentials: RequestCredentials | undefined }>

beforeEach(() => {
  srv = new FakeServer()
  seen = []
  vi.stubGlobal('fetch', (input: RequestInfo | URL, init: RequestInit = {}) => {
    seen.push({ url: String(input), auth: new Headers(init.headers).get('Authorization'), credentials: init.credentials })
    return srv.fetch(input, init)
  })
  configureEmbed({ apiBase: 'https://runblock.example/api/v1/code' })
})

afterEach(() => {
  vi.unstubAllGlobals()
  document.body.replaceChildren()
})

async function until(cond: () => boolean) {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5))
  expect(cond()).toBe(true)
}

function mount(html: string): RunblockCode {
  document.body.innerHTML = html
  return document.querySelector('runblock-code') as RunblockCode
}

const q = <T extends Element>(el: RunblockCode, sel: string) => el.shadowRoot!.querySelector(sel) as T

describe('<runblock-code>', () => {
  it('builds editor, Run/Stop and terminal in a shadow root from its own text', () => {
    const el = mount(`<runblock-code language="python" editor="plain">
      for i in range(2):
          print(i)
    </runblock-code>`)
    expect(el).toBeInstanceOf(RunblockCode)
    expect(el.shadowRoot).not.toBeNull()
    expect(q<HTMLTextAreaElement>(el, 'textarea').value).toBe('for i in range(2):\n    print(i)')
    const buttons = [...el.shadowRoot!.querySelectorAll('button')].map((b) => b.textContent)
    expect(buttons).toEqual(expect.arrayContaining(['Run', 'Stop']))
    // The page's stylesheet is inside the shadow root, with :root made :host.
    const css = [...el.shadowRoot!.querySelectorAll('style')].map((s) => s.textContent).join('') +
      (el.shadowRoot!.adoptedStyleSheets ?? []).map((s) => [...s.cssRules].map((r) => r.cssText).join('')).join('')
    expect(css).toContain('.rb-term')
    expect(css).not.toContain(':root')
  })

  it('runs on the API it came from with the token, without cookies; output, a figure and input show in its terminal', async () => {
    let live!: LiveStream
    srv.answerStream((s) => {
      live = s
      s.event({ type: 'start', id: 'r1', environment: 'server', language: 'python' })
      s.event({ type: 'output', content: 'name? ' })
    })
    const el = mount(`<runblock-code language="python" editor="plain" data-token="tok123">name = input("name? ")</runblock-code>`)
    q<HTMLButtonElement>(el, '.rb-run').click()
    await until(() => !q<HTMLInputElement>(el, '.rb-stdin-input').hidden)
    expect(srv.posts('/execute/stream')[0].body).toMatchObject({ code: 'name = input("name? ")', language: 'python', environment: 'server' })
    expect(seen[0]).toMatchObject({ url: 'https://runblock.example/api/v1/code/execute/stream', auth: 'Bearer tok123', credentials: 'omit' })
    const input = q<HTMLInputElement>(el, '.rb-stdin-input')
    input.value = 'Ada'
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    await until(() => srv.posts('/stdin').length === 1)
    expect(srv.posts('/stdin')[0]).toMatchObject({ url: 'https://runblock.example/api/v1/code/executions/r1/stdin', body: { data: 'Ada\n' } })
    live.event({ type: 'output', content: 'hi Ada\n' })
    live.event({ type: 'image', mime: 'image/png', data: png1, alt: 'Figure 1: greeting' })
    live.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 0.1 })
    live.close()
    await until(() => el.dataset.status === 'success')
    await until(() => q(el, 'img') !== null)
    const log = q<HTMLPreElement>(el, '[role=log]')
    expect(log.textContent).toContain('name? Ada\nhi Ada\n')
    const img = q<HTMLImageElement>(el, 'img')
    expect(img.alt).toBe('Figure 1: greeting')
    expect(log.contains(img)).toBe(true)
    expect(q(el, '[data-testid=final-status]').textContent).toContain('exit code 0')
    // Enlarging puts the dialog inside the shadow root, not the host page.
    q<HTMLButtonElement>(el, '.rb-image-open').click()
    expect(el.shadowRoot!.querySelector('.rb-viewer')?.getAttribute('aria-label')).toBe('Figure 1: greeting')
    expect(document.querySelector('.rb-viewer')).toBeNull()
  })

  it('when the status says done, the log already holds the last output', async () => {
    srv.answerStream((s) => {
      s.event({ type: 'start', id: 'r2', environment: 'server', language: 'python' })
      s.event({ type: 'output', content: 'first\n' })
      s.event({ type: 'output', content: 'last\n' })
      s.event({ type: 'complete', status: 'success', exit_code: 0, execution_time: 0.01 })
      s.close()
    })
    const el = mount(`<runblock-code language="python" editor="plain">print("first"); print("last")</runblock-code>`)
    let atComplete = ''
    el.addEventListener('runblock:complete', () => (atComplete = q<HTMLPreElement>(el, '[role=log]').textContent ?? ''))
    q<HTMLButtonElement>(el, '.rb-run').click()
    await until(() => el.dataset.status === 'success')
    // Read in the same task the status changed in: no frame has been painted since.
    expect(q<HTMLPreElement>(el, '[role=log]').textContent).toContain('first\nlast\n')
    expect(atComplete).toContain('first\nlast\n')
  })

  it('Stop posts a cancel for the run', async () => {
    let live!: LiveStream
    srv.answerStream((s) => {
      live = s
      s.event({ type: 'start', id: 'r9', environment: 'server', language: 'c' })
    })
    srv.onCancel = () => {
      queueMicrotask(() => {
        live.event({ type: 'complete', status: 'cancelled', error: 'Stopped' })
        live.close()
      })
      return { kind: 'json', status: 202, body: { status: 'cancelling' } }
    }
    const el = mount(`<runblock-code language="c" editor="plain">int main(){for(;;);}</runblock-code>`)
    q<HTMLButtonElement>(el, '.rb-run').click()
    await until(() => el.dataset.status === 'running')
    const stop = [...el.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent === 'Stop')!
    expect(stop.disabled).toBe(false)
    stop.click()
    await until(() => el.dataset.status === 'cancelled')
    expect(srv.posts('/cancel')[0].url).toBe('https://runblock.example/api/v1/code/executions/r9/cancel')
  })

  it('upgrades marked <pre><code class="language-…"> blocks and leaves unmarked ones alone', () => {
    document.body.innerHTML = `
      <pre data-runblock data-token="t"><code class="language-python">print(1)\n</code></pre>
      <pre><code class="language-c" data-runblock>int main(){}</code></pre>
      <pre><code class="language-python">print("static")</code></pre>`
    expect(upgrade(document)).toBe(2)
    const els = [...document.querySelectorAll('runblock-code')] as RunblockCode[]
    expect(els.map((e) => e.getAttribute('language'))).toEqual(['python', 'c'])
    expect(els[0].getAttribute('data-token')).toBe('t')
    expect(els[0].value).toBe('print(1)')
    expect(document.querySelectorAll('pre').length).toBe(1)
  })

  it('dedent drops the tag indentation and the blank edges', () => {
    expect(dedent('\n    a\n      b\n\n    c\n  ')).toBe('a\n  b\n\nc')
  })
})
