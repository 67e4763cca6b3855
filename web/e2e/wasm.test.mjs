// The wasm environment through the page: C and Rust blocks compiled by the
// real server (in its sandbox), run in headless Chromium's worker with the
// WASI shim; input, the time limit and Stop.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { block, launchBrowser, screenshotPath, setCode, startServer } from './helpers.mjs'

let srv
let browser

const config = { rate_limit: { period: '1m', per_role: { anonymous: 1000 } } }

before(async () => {
  srv = await startServer({ config })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await srv?.stop()
})

async function open(width = 1280) {
  const page = await browser.context.newPage()
  await page.setViewportSize({ width, height: 900 })
  const errors = []
  const requests = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()))
  page.on('request', (r) => requests.push(`${r.method()} ${new URL(r.url()).pathname}`))
  page.errors = errors
  page.requests = requests
  await page.goto(srv.url + '/favicon.svg')
  await page.evaluate(() => localStorage.clear())
  await page.goto(srv.url + '/lessons/webassembly')
  await page.locator('section[data-block="wasm-rust"] .cm-editor').waitFor()
  return page
}

describe('wasm in the browser', () => {
  it('runs the Rust block in the browser: compiled on the server, fetched by hash', async () => {
    const page = await open()
    // rustc on a loaded machine: the first compile may take a while.
    const compiled = page.waitForResponse((r) => r.url().endsWith('/api/v1/wasm/compile'), { timeout: 60_000 })
    const b = block(page, 'wasm-rust')
    await b.run.click()
    const c = await (await compiled).json()
    assert.equal(c.ok, true, JSON.stringify(c))
    await b.status.filter({ hasText: 'success' }).waitFor({ timeout: 60_000 })
    const log = await b.log.textContent()
    assert.match(log, /Hello, world!\nThe sum of the first ten squares is 385/)
    assert.equal(await b.root.getByTestId('environment').textContent(), 'rust · wasm')
    // It ran here: the module was fetched by its hash, and no server run was started.
    assert.ok(page.requests.includes(`GET /api/v1/wasm/${c.hash}`), page.requests.join('\n'))
    assert.ok(!page.requests.some((r) => r.includes('/execute')), page.requests.join('\n'))

    // The run is in the learner's history, reported by the page.
    await page.waitForFunction(async () => {
      const r = await fetch('/api/v1/code/executions', { credentials: 'same-origin' })
      const body = await r.json()
      return body.executions.some((e) => e.environment === 'wasm' && e.language === 'rust' && e.status === 'success')
    }, null, { timeout: 30_000 })

    // The same module on the server (wazero) prints the same.
    const code = await b.editorText()
    const res = await fetch(srv.url + '/api/v1/code/execute', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, language: 'rust', environment: 'wasm' }),
    })
    const body = await res.json()
    assert.equal(body.status, 'success')
    assert.equal(body.output, log.slice(0, body.output.length))
    assert.deepEqual(page.errors, [])
    await page.close()
  })

  it('gives the C block input while it runs', async () => {
    const page = await open()
    const b = block(page, 'wasm-c')
    await b.run.click()
    await b.log.getByText('How many squares?').waitFor()
    await b.input.fill('4')
    await b.input.press('Enter')
    await b.status.filter({ hasText: 'success' }).waitFor()
    assert.match(await b.log.textContent(), /4 squared is 16/)
    await page.screenshot({ path: screenshotPath('wasm-1280.png'), fullPage: true })
    assert.deepEqual(page.errors, [])
    await page.close()
  })

  it('stops an endless loop at the time limit, and on Stop', async () => {
    const page = await open()
    const b = block(page, 'wasm-loop')
    await b.run.click()
    await b.log.getByText('Counting forever').waitFor()
    await b.status.filter({ hasText: 'timeout' }).waitFor({ timeout: 20_000 })
    assert.match(await b.root.textContent(), /timed out after 5s/)

    await b.run.click()
    await b.log.getByText('Counting forever').waitFor()
    await b.stop.click()
    await b.status.filter({ hasText: 'cancelled' }).waitFor({ timeout: 5_000 })
    await page.close()
  })

  it('shows a compile error with its line and column', async () => {
    const page = await open(390)
    await setCode(page, 'wasm-rust', 'fn main() {\n    let x: i32 = "world";\n}\n')
    const b = block(page, 'wasm-rust')
    await b.run.click()
    await b.status.filter({ hasText: 'error' }).waitFor()
    assert.match(await b.log.textContent(), /main\.rs:2:18/)
    await page.screenshot({ path: screenshotPath('wasm-390.png'), fullPage: true })
    await page.close()
  })
})
