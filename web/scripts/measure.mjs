// The numbers, in headless Chromium against the real binary:
//   - JS+CSS shipped before the first Run (gzip)
//   - navigation → interactive lesson
//   - click Run → first output line (server path, hello), p50 over RUNS runs
//   - click Stop → `cancelled` shown
// Usage: npm run measure   (RUNS=20 STOPS=10; needs ../bin/runblock and a built dist)
import { gzipSync } from 'node:zlib'
import { launchBrowser, startServer } from '../e2e/helpers.mjs'

const RUNS = Number(process.env.RUNS ?? 20)
const STOPS = Number(process.env.STOPS ?? 10)
const LESSON = '/lessons/python-basics'

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
const fmt = (ms) => `${ms.toFixed(1)} ms`
const summary = (xs) => `p50 ${fmt(pct(xs, 50))}, p90 ${fmt(pct(xs, 90))}, min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))} (n=${xs.length})`

// A quota large enough for every run below.
const srv = await startServer({ config: { rate_limit: { period: '1m', per_role: { anonymous: 100000 } } } })
const browser = await launchBrowser()
try {
  // 1. What the page downloads before anything runs (cold cache).
  const page = await browser.context.newPage()
  const assets = []
  page.on('response', async (r) => {
    const type = r.request().resourceType()
    if (type !== 'script' && type !== 'stylesheet') return
    try {
      const body = await r.body()
      const sizes = await r.request().sizes()
      assets.push({ url: new URL(r.url()).pathname, raw: body.length, gzip: gzipSync(body, { level: 9 }).length, wire: sizes.responseBodySize, enc: r.headers()['content-encoding'] ?? 'identity' })
    } catch {
      // a failed body read shows up as a missing row
    }
  })
  await page.goto(srv.url + LESSON)
  await page.waitForFunction(() => performance.getEntriesByName('runblock:interactive').length > 0)
  await page.locator('.cm-editor .tok-keyword, .cm-editor .tok-string').first().waitFor() // the grammar chunk arrived
  await page.waitForTimeout(300)
  const coldInteractive = await page.evaluate(() => performance.getEntriesByName('runblock:interactive')[0].startTime)
  const gz = assets.reduce((a, x) => a + x.gzip, 0)
  const wire = assets.reduce((a, x) => a + x.wire, 0)
  console.log('JS+CSS before the first Run (lesson %s):', LESSON)
  for (const a of assets) console.log(`  ${a.url}  ${(a.raw / 1024).toFixed(1)} KB raw, ${(a.gzip / 1024).toFixed(1)} KB gzip -9, ${(a.wire / 1024).toFixed(1)} KB on the wire (${a.enc})`)
  console.log(`  total: ${(gz / 1024).toFixed(1)} KB gzip -9 (goal ≤ 250 KB), ${(wire / 1024).toFixed(1)} KB on the wire`)

  // 2. Navigation → interactive (blocks mounted, Run enabled). Cold = empty
  // HTTP cache in a running browser (a learner following a link); warm = reload.
  const cold = []
  for (let i = 0; i < 5; i++) {
    const p = await browser.context.newPage()
    const cdp = await browser.context.newCDPSession(p)
    await cdp.send('Network.clearBrowserCache')
    await p.goto(srv.url + LESSON)
    await p.waitForFunction(() => performance.getEntriesByName('runblock:interactive').length > 0)
    cold.push(await p.evaluate(() => performance.getEntriesByName('runblock:interactive')[0].startTime))
    await p.close()
  }
  const warm = []
  for (let i = 0; i < 5; i++) {
    await page.reload()
    await page.waitForFunction(() => performance.getEntriesByName('runblock:interactive').length > 0)
    warm.push(await page.evaluate(() => performance.getEntriesByName('runblock:interactive')[0].startTime))
  }
  console.log(`navigation → interactive lesson: first load in a fresh browser ${fmt(coldInteractive)}`)
  console.log(`  cold cache ${summary(cold)}`)
  console.log(`  warm (reload) ${summary(warm)} (goal ≤ 1000 ms)`)

  // 3. Click Run → first output line in the terminal (DOM updated; +1 frame to paint).
  // Python blocks of the real lessons run in the browser now; this times the
  // server path, on a block pinned to it.
  await page.goto(srv.url + '/lessons/e2e-python')
  await page.waitForFunction(() => performance.getEntriesByName('runblock:interactive').length > 0)
  const clickToOutput = async (blockId, text) =>
    page.evaluate(
      ({ blockId, text }) =>
        new Promise((resolve) => {
          const sec = document.querySelector(`section[data-block="${blockId}"]`)
          const btn = sec.querySelector('button.rb-run')
          let t0 = 0
          const mo = new MutationObserver(() => {
            const log = sec.querySelector('[role=log]')
            if (log && log.textContent.includes(text)) {
              mo.disconnect()
              const dom = performance.now() - t0
              requestAnimationFrame(() => resolve({ dom, frame: performance.now() - t0 }))
            }
          })
          mo.observe(sec, { subtree: true, childList: true, characterData: true })
          t0 = performance.now()
          btn.click()
        }),
      { blockId, text },
    )
  const status = (id) => page.locator(`section[data-block="${id}"] [data-testid=status]`)
  // The same request from Node, without a browser, interleaved with the
  // clicks: what the server itself takes right now, so the page's share shows.
  const code = await page.evaluate(() => [...document.querySelectorAll('section[data-block="hello-server"] .cm-line')].map((l) => l.textContent).join('\n'))
  const bareRun = async () => {
    const t0 = performance.now()
    const res = await fetch(`${srv.url}/api/v1/code/execute/stream`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code, language: 'python', environment: 'server', content_id: 'e2e-python', code_block_id: 'hello-server' }),
    })
    const reader = res.body.getReader()
    const dec = new TextDecoder()
    let buf = ''
    let first = null
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buf += dec.decode(value, { stream: true })
      if (first === null && buf.includes('"type":"output"')) first = performance.now() - t0
    }
    return first
  }
  const dom = []
  const frame = []
  const bare = []
  await clickToOutput('hello-server', 'Hello') // warm-up: first run pays the cold checker/sandbox start
  await status('hello-server').filter({ hasText: 'success' }).waitFor()
  for (let i = 0; i < RUNS; i++) {
    const r = await clickToOutput('hello-server', 'Hello')
    dom.push(r.dom)
    frame.push(r.frame)
    await status('hello-server').filter({ hasText: 'success' }).waitFor()
    bare.push(await bareRun())
  }
  console.log(`click Run → first output line (hello-server, server): DOM ${summary(dom)}; next frame ${summary(frame)} (goal p50 ≤ 100 ms)`)
  console.log(`  same request from Node (no browser), request → first output frame: ${summary(bare)}`)
  console.log(`  load average now: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${(await import('node:os')).cpus().length} CPUs`)

  // 4. Click Stop → `cancelled` shown, on `while True: pass`.
  await page.goto(srv.url + '/lessons/e2e-python')
  await page.waitForFunction(() => performance.getEntriesByName('runblock:interactive').length > 0)
  const stops = []
  for (let i = 0; i < STOPS; i++) {
    await page.locator('section[data-block="spin"] button.rb-run').click()
    await status('spin').filter({ hasText: 'running' }).waitFor()
    await page.waitForTimeout(200)
    stops.push(
      await page.evaluate(
        () =>
          new Promise((resolve) => {
            const sec = document.querySelector('section[data-block="spin"]')
            const badge = sec.querySelector('[data-testid=status]')
            const mo = new MutationObserver(() => {
              if (badge.textContent === 'cancelled') {
                mo.disconnect()
                resolve(performance.now() - t0)
              }
            })
            mo.observe(badge, { subtree: true, childList: true, characterData: true })
            const t0 = performance.now()
            sec.querySelectorAll('button').forEach((b) => b.textContent === 'Stop' && b.click())
          }),
      ),
    )
  }
  console.log(`click Stop → cancelled shown: ${summary(stops)} (goal ≤ 300 ms)`)
  console.log(`load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`)
} finally {
  await browser.close()
  await srv.stop()
}
