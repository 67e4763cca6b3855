// embed.js on a plain HTML page of ANOTHER origin (a second loopback server,
// "localhost" vs runblock's "127.0.0.1", so another site too): the page's
// blocks become runnable through runblock, whose CORS settings list that
// origin; the host page's aggressive CSS does not leak into the element.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import { gzipSync } from 'node:zlib'
import { launchBrowser, screenshotPath, startServer } from './helpers.mjs'

let srv
let host
let hostURL
let browser
const secret = 'e2e-embed-secret-0123456789abcdef0123456789abcdef0123456789abcdef'

/** An HS256 JWT as the platform would mint for a signed-in learner. */
function token(sub) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`
}

const hostPage = (runblock, tok) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Course notes</title>
<style>
  * { color: red !important; font-family: serif !important; }
  button { background: yellow !important; border: 5px solid red !important; padding: 20px !important; }
  pre, textarea { background: hotpink !important; font-size: 30px !important; }
  .rb-btn, .rb-term { display: none !important; }
</style>
<script type="module" src="${runblock}/embed.js"></script>
</head><body>
<h1>Course notes</h1>
<p id="prose">A greeting program:</p>
<runblock-code language="python" id="py" data-token="${tok}">
  name = input("name? ")
  print("Hello,", name)
</runblock-code>
<p>And one in C:</p>
<pre data-runblock data-token="${tok}"><code class="language-c">#include &lt;stdio.h&gt;
int main(void) {
    printf("sum=%d\\n", 2 + 3);
    return 0;
}
</code></pre>
<p>A plot:</p>
<runblock-code language="python" id="plot" data-token="${tok}">
  import matplotlib.pyplot as plt
  plt.bar(["a", "b", "c"], [3, 1, 2])
  plt.title("Bars")
  plt.show()
</runblock-code>
<p>This one never ends (an anonymous block: no token):</p>
<runblock-code language="python" id="spin">while True:
    pass</runblock-code>
<button class="rb-btn" id="host-btn">a host button</button>
</body></html>`

before(async () => {
  host = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      res.end(hostPage(srv.url, token('learner-42')))
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise((r) => host.listen(0, '127.0.0.1', r))
  hostURL = `http://localhost:${host.address().port}`
  srv = await startServer({
    config: { auth: { hs256_secret: secret, allow_anonymous: true }, cors: { allowed_origins: [hostURL] }, rate_limit: { period: '1m', per_role: { anonymous: 1000 } } },
  })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await srv?.stop()
  await new Promise((r) => host?.close(r) ?? r())
})

function embed(page, selector) {
  const root = page.locator(selector)
  return {
    root,
    run: root.getByRole('button', { name: /^Run/ }),
    stop: root.getByRole('button', { name: 'Stop' }),
    status: root.getByTestId('status'),
    log: root.getByRole('log'),
    input: root.getByRole('textbox', { name: /Input for the program/ }),
  }
}

describe('embed.js on another origin', () => {
  // A signed-in learner's blocks carry the platform's token (cookies don't
  // cross sites); the anonymous block's Stop works by dropping its stream.
  it('runs Python with input(), C, and Stop through runblock; host CSS does not leak in or out', async () => {
    const page = await browser.context.newPage()
    const errors = []
    page.on('pageerror', (e) => errors.push(String(e)))
    // The anonymous block's /cancel is refused (404: each cookie-less request
    // is a new anonymous caller); that failed load is expected, other errors not.
    page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()))
    const requests = []
    page.on('request', (r) => requests.push(r.url()))
    await page.goto(hostURL + '/')
    assert.equal(await page.evaluate(() => window.crossOriginIsolated), false)

    // Python with input().
    const py = embed(page, '#py')
    await py.root.locator('.cm-editor').waitFor() // the lazily loaded editor replaced the textarea
    await py.run.click()
    await py.input.waitFor()
    await py.log.getByText('name?').waitFor()
    await py.input.fill('Ada')
    await py.input.press('Enter')
    await py.log.getByText('Hello, Ada').waitFor()
    await py.status.filter({ hasText: 'success' }).waitFor()
    assert.match(await py.log.textContent(), /name\? Ada\nHello, Ada/)
    assert.match(await py.root.getByTestId('final-status').textContent(), /ran on server/)

    // The <pre><code class="language-c" data-runblock> block, upgraded.
    const c = embed(page, 'runblock-code[language="c"]')
    assert.equal(await page.locator('pre[data-runblock]').count(), 0)
    await c.run.click()
    await c.status.filter({ hasText: 'success' }).waitFor()
    assert.match(await c.log.textContent(), /sum=5/)

    // A figure, inline in the element's terminal.
    const plot = embed(page, '#plot')
    await plot.run.click()
    await plot.status.filter({ hasText: 'success' }).waitFor()
    const img = plot.log.getByRole('img', { name: /^Figure 1: Bars/ })
    await img.waitFor()
    assert.ok((await img.evaluate((i) => i.complete && i.naturalWidth)) > 100)

    // Stop.
    const spin = embed(page, '#spin')
    await spin.run.click()
    await spin.status.filter({ hasText: 'running' }).waitFor()
    await spin.stop.click()
    await spin.status.filter({ hasText: 'cancelled' }).waitFor({ timeout: 5000 })

    // Every call went to runblock's API, none to the host page's origin.
    const api = requests.filter((u) => u.includes('/api/v1/code/'))
    assert.ok(api.length >= 4 && api.every((u) => u.startsWith(srv.url)), api.join('\n'))
    assert.ok(api.some((u) => /\/executions\/[^/]+\/stdin$/.test(u)) && api.some((u) => /\/cancel$/.test(u)))

    // Host CSS does not reach inside: computed styles in the shadow root.
    const inside = await page.evaluate(() => {
      const sr = document.querySelector('#py').shadowRoot
      const cs = (sel) => getComputedStyle(sr.querySelector(sel))
      return {
        runColor: cs('.rb-run').color,
        runBg: cs('.rb-run').backgroundColor,
        runPadding: cs('.rb-run').paddingTop,
        runDisplay: cs('.rb-run').display,
        termDisplay: cs('.rb-term').display,
        logFont: cs('[role=log]').fontFamily,
        logSize: cs('[role=log]').fontSize,
        stdout: cs('.rb-stdout').color,
        editorLine: cs('.cm-line').color,
      }
    })
    const red = 'rgb(255, 0, 0)'
    for (const k of ['runColor', 'stdout', 'editorLine']) assert.notEqual(inside[k], red, `${k} is red`)
    assert.notEqual(inside.runBg, 'rgb(255, 255, 0)')
    assert.notEqual(inside.runPadding, '20px')
    assert.notEqual(inside.runDisplay, 'none')
    assert.notEqual(inside.termDisplay, 'none')
    assert.doesNotMatch(inside.logFont, /^serif$/)
    assert.equal(inside.logSize, '13px')
    // ...and ours does not reach out: the host's own .rb-btn keeps the host's rules.
    const outside = await page.evaluate(() => ({
      prose: getComputedStyle(document.querySelector('#prose')).color,
      btnPadding: getComputedStyle(document.querySelector('#host-btn')).paddingTop,
    }))
    assert.deepEqual(outside, { prose: red, btnPadding: '20px' })

    await page.screenshot({ path: screenshotPath('embed-cross-origin.png'), fullPage: true })
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('serves embed.js small, cached briefly, loadable cross-origin', async () => {
    const r = await fetch(`${srv.url}/embed.js`, { headers: { Origin: hostURL, 'Accept-Encoding': 'gzip' } })
    assert.equal(r.status, 200)
    assert.equal(r.headers.get('cross-origin-resource-policy'), 'cross-origin')
    assert.equal(r.headers.get('access-control-allow-origin'), '*')
    assert.equal(r.headers.get('cache-control'), 'public, max-age=300')
    const body = await r.text()
    assert.ok(!/react/i.test(body.match(/from\s*["'][^"']*["']/g)?.join(' ') ?? ''), 'embed.js imports React')
    // The budget: ≤ 60 KB gzip before the editor loads (embed.js and the helper chunk it imports).
    const helper = body.match(/embed-assets\/preload-helper-[\w-]+\.js/)?.[0]
    const extra = helper ? await (await fetch(`${srv.url}/${helper}`)).text() : ''
    const gz = gzipSync(body, { level: 9 }).length + gzipSync(extra, { level: 9 }).length
    assert.ok(gz <= 60 * 1024, `embed.js before the editor: ${gz} bytes gzip`)
    // React's bundle carries this marker (the lesson page's does); the embed must not.
    assert.equal(body.includes('__CLIENT_INTERNALS_DO_NOT_USE'), false)
  })
})
