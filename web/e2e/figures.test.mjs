// A plot block on the lesson page shows its figure inline, with alt text,
// enlarge and download: once through the real server (matplotlib in the
// sandbox), once with /execute/stream fulfilled by the documented event
// sequence, which pins the page's side (parsing, order, dialog, copy).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { block, launchBrowser, screenshotPath, startServer } from './helpers.mjs'

let srv
let browser

before(async () => {
  srv = await startServer({ config: { rate_limit: { period: '1m', per_role: { anonymous: 1000 } } } })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await srv?.stop()
})

/** A real PNG of a line chart, drawn by the browser (no matplotlib on this machine's host). */
async function chartPNG(page) {
  return page.evaluate(() => {
    const c = document.createElement('canvas')
    c.width = 640
    c.height = 480
    const g = c.getContext('2d')
    g.fillStyle = '#fff'
    g.fillRect(0, 0, 640, 480)
    g.strokeStyle = '#1f77b4'
    g.lineWidth = 3
    g.beginPath()
    ;[1, 4, 2, 5].forEach((v, i) => g[i ? 'lineTo' : 'moveTo'](80 + i * 160, 440 - v * 80))
    g.stroke()
    g.fillStyle = '#000'
    g.font = '20px sans-serif'
    g.fillText('Rising line', 260, 30)
    return c.toDataURL('image/png').split(',')[1]
  })
}

function sse(events) {
  return events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')
}

describe('figures on the lesson page', () => {
  it('a plot block run on the server shows its figure inline between its text', async () => {
    const page = await browser.context.newPage()
    await page.goto(srv.url + '/lessons/e2e-python')
    const b = block(page, 'plot')
    await b.run.click()
    await b.status.filter({ hasText: 'success' }).waitFor()
    const img = b.log.getByRole('img', { name: /^Figure 1/ })
    await img.waitFor()
    assert.match(await img.getAttribute('alt'), /Rising line/)
    assert.ok((await img.evaluate((i) => i.complete && i.naturalWidth)) > 100)
    const text = await b.log.textContent()
    assert.ok(text.indexOf('before') < text.indexOf('Download') && text.indexOf('Download') < text.indexOf('after'), text)
    await b.log.evaluate((el) => (el.scrollTop = 0))
    await b.root.screenshot({ path: screenshotPath('figure-server.png') })
    await page.close()
  })

  it('a plot block shows the image inline between its text, with alt text, enlarge and download', async () => {
    const page = await browser.context.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(String(e)))
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
    await page.goto(srv.url + '/lessons/e2e-python')
    const png = await chartPNG(page)
    let sent = null
    await page.route('**/api/v1/code/execute/stream', async (route) => {
      sent = route.request().postDataJSON()
      await route.fulfill({
        status: 200,
        headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' },
        body: sse([
          { type: 'start', id: 'fake-1', environment: 'server', language: 'python' },
          { type: 'output', content: 'before\n' },
          { type: 'image', mime: 'image/png', data: png, alt: 'Figure 1: Rising line' },
          { type: 'output', content: 'after\n' },
          { type: 'complete', status: 'success', exit_code: 0, execution_time: 0.8 },
        ]),
      })
    })
    const b = block(page, 'plot')
    await b.run.click()
    await b.status.filter({ hasText: 'success' }).waitFor()
    assert.match(sent.code, /plt\.show\(\)/)
    const img = b.log.getByRole('img', { name: 'Figure 1: Rising line' })
    await img.waitFor()
    // Decoded by the browser (a real PNG, allowed by the page's CSP).
    assert.equal(await img.evaluate((i) => i.complete && i.naturalWidth), 640)
    const text = await b.log.textContent()
    assert.ok(text.indexOf('before') < text.indexOf('Download') && text.indexOf('Download') < text.indexOf('after'), text)
    const dl = b.log.getByRole('link', { name: 'Download Figure 1: Rising line' })
    assert.equal(await dl.getAttribute('download'), 'figure-1-rising-line.png')
    await b.root.scrollIntoViewIfNeeded()
    await b.root.screenshot({ path: screenshotPath('figure-inline.png') })
    // Click to enlarge: a modal dialog named after the figure; Esc closes it and focus returns.
    await b.log.getByRole('button', { name: 'Enlarge image: Figure 1: Rising line' }).click()
    const dialog = page.getByRole('dialog', { name: 'Figure 1: Rising line' })
    await dialog.waitFor()
    await page.screenshot({ path: screenshotPath('figure-enlarged.png') })
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached' })
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Enlarge image: Figure 1: Rising line')
    // Copy output names the figure.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.url })
    await b.root.getByRole('button', { name: 'Copy output' }).click()
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'before\n[image: Figure 1: Rising line]\nafter')
    assert.deepEqual(errors, [])
    await page.close()
  })
})
