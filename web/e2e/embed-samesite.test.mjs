// An anonymous embed on a page of the SAME site as runblock (another port
// of 127.0.0.1: another origin, same site): with cors.allow_credentials and
// credentials="include", the anonymous session cookie (SameSite=Lax) goes
// along, so input() reaches the run without a token.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { launchBrowser, startServer } from './helpers.mjs'

let srv
let host
let hostURL
let browser

before(async () => {
  host = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Notes</title>
<script type="module" src="${srv.url}/embed.js"></script></head><body>
<pre data-runblock credentials="include"><code class="language-python">name = input("name? ")
print("Hello,", name)</code></pre></body></html>`)
  })
  await new Promise((r) => host.listen(0, '127.0.0.1', r))
  hostURL = `http://127.0.0.1:${host.address().port}`
  srv = await startServer({
    config: { cors: { allowed_origins: [hostURL], allow_credentials: true }, rate_limit: { period: '1m', per_role: { anonymous: 1000 } } },
  })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await srv?.stop()
  await new Promise((r) => host?.close(r) ?? r())
})

describe('embed.js on the same site', () => {
  it('an anonymous block with credentials="include" keeps its session, so input() works', async () => {
    const page = await browser.context.newPage()
    await page.goto(hostURL + '/')
    const root = page.locator('runblock-code')
    await root.getByRole('button', { name: /^Run/ }).click()
    const input = root.getByRole('textbox', { name: /Input for the program/ })
    await input.waitFor()
    await root.getByRole('log').getByText('name?').waitFor()
    await input.fill('Grace')
    await input.press('Enter')
    await root.getByTestId('status').filter({ hasText: 'success' }).waitFor()
    assert.match(await root.getByRole('log').textContent(), /name\? Grace\nHello, Grace/)
    await page.close()
  })
})
