// Python in the browser, measured in headless Chromium against the real binary:
//   - cold load: a fresh profile (empty HTTP cache) opens the lesson and
//     clicks Run at once on an env=pyodide block → first output (p50 of COLD)
//   - the same with a warm HTTP cache (new page, same profile: the wasm is
//     compiled again, the files come from the cache)
//   - warm run: Python loaded, click Run → first output (p50/p95 of RUNS)
//   - Stop on `while True: pass` → "cancelled" shown (STOPS)
//   - bytes fetched for a cold load (on the wire, and decoded)
// Usage: npm run measure-pyodide   (COLD=5 RUNS=20 STOPS=10; needs ../bin/runblock and a built dist)
import { block, launchBrowser, startServer } from '../e2e/pyodide-harness.mjs'

const COLD = Number(process.env.COLD ?? 5)
const RUNS = Number(process.env.RUNS ?? 20)
const STOPS = Number(process.env.STOPS ?? 10)

const lesson = `---
title: Measure
---

\`\`\`python {runnable id=first env=pyodide title="First"}
print("first output")
\`\`\`

\`\`\`python {runnable id=hello title="Hello"}
print("hello")
\`\`\`

\`\`\`python {runnable id=spin title="Spin"}
print("spinning", flush=True)
while True:
    pass
\`\`\`
`

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`)
const summary = (xs) => `p50 ${fmt(pct(xs, 50))}, p95 ${fmt(pct(xs, 95))}, min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))} (n=${xs.length})`

/** Clicks Run on a block and resolves when `text` is in its terminal: ms since the click and since navigation. */
function clickToOutput(page, blockId, text) {
  return page.evaluate(
    ({ blockId, text }) =>
      new Promise((resolve) => {
        const sec = document.querySelector(`section[data-block="${blockId}"]`)
        let t0 = 0
        const mo = new MutationObserver(() => {
          const log = sec.querySelector('[role=log]')
          if (log && log.textContent.includes(text)) {
            mo.disconnect()
            const now = performance.now()
            resolve({ click: now - t0, nav: now })
          }
        })
        mo.observe(sec, { subtree: true, childList: true, characterData: true })
        t0 = performance.now()
        sec.querySelector('button.rb-run').click()
      }),
    { blockId, text },
  )
}

/** Opens the lesson, clicks Run on the env=pyodide block as soon as it is there. */
async function loadAndRun(context, url, bytes) {
  const page = await context.newPage()
  if (bytes) {
    page.on('requestfinished', async (r) => {
      try {
        const s = await r.sizes()
        const res = await r.response()
        bytes.push({ path: new URL(r.url()).pathname, wire: s.responseBodySize + s.responseHeadersSize, body: (await res.body()).length })
      } catch {
        // a request that failed has no sizes
      }
    })
  }
  await page.goto(url)
  await block(page, 'first').run.waitFor()
  const t = await clickToOutput(page, 'first', 'first output')
  const load = Number(await page.evaluate(() => document.documentElement.dataset.pyodideLoadMs))
  return { page, ...t, load }
}

const srv = await startServer({ config: { rate_limit: { period: '1m', per_role: { anonymous: 100000 } } }, lessons: { 'measure.md': lesson } })
try {
  const url = srv.url + '/lessons/measure'
  // The server compresses each runtime file on its first request; do that
  // outside the measurement, as on any server that has served one page.
  for (const f of ['pyodide.asm.wasm', 'pyodide.asm.mjs', 'python_stdlib.zip', 'pyodide-lock.json', 'pyodide.mjs']) {
    await (await fetch(`${srv.url}/pyodide/${f}`, { headers: { 'Accept-Encoding': 'gzip' } })).arrayBuffer()
  }
  await fetch(`${srv.url}/api/v1/code/environments`)

  const coldClick = []
  const coldNav = []
  const coldLoad = []
  let bytes = []
  for (let i = 0; i < COLD; i++) {
    const b = await launchBrowser()
    try {
      const got = []
      const r = await loadAndRun(b.context, url, i === 0 ? got : null)
      coldClick.push(r.click)
      coldNav.push(r.nav)
      coldLoad.push(r.load)
      if (i === 0) {
        await r.page.waitForTimeout(500)
        bytes = got
      }
    } finally {
      await b.close()
    }
  }
  console.log(`cold load (fresh profile, empty HTTP cache), click Run at once → first output: ${summary(coldClick)}`)
  console.log(`  navigation start → first output: ${summary(coldNav)} (goal p50 ≤ 3.0 s)`)
  console.log(`  of which the worker's loadPyodide (fetch, compile, start Python): ${summary(coldLoad)}`)
  const py = bytes.filter((x) => x.path.startsWith('/pyodide/'))
  const sum = (xs, k) => xs.reduce((a, x) => a + x[k], 0)
  console.log(`bytes fetched for a cold load: ${(sum(bytes, 'wire') / 1e6).toFixed(2)} MB on the wire (${(sum(bytes, 'body') / 1e6).toFixed(2)} MB decoded), of which Pyodide:`)
  for (const x of py) console.log(`  ${x.path}  ${(x.wire / 1e6).toFixed(2)} MB on the wire, ${(x.body / 1e6).toFixed(2)} MB decoded`)

  const b = await launchBrowser()
  try {
    // Warm HTTP cache: the first page fills the cache, later pages reuse it.
    const first = await loadAndRun(b.context, url)
    await first.page.close()
    const warmClick = []
    const warmNav = []
    const warmLoad = []
    for (let i = 0; i < COLD; i++) {
      const r = await loadAndRun(b.context, url)
      warmClick.push(r.click)
      warmNav.push(r.nav)
      warmLoad.push(r.load)
      await r.page.close()
    }
    console.log(`warm HTTP cache (new page, wasm compiled again), click Run at once → first output: ${summary(warmClick)}`)
    console.log(`  navigation start → first output: ${summary(warmNav)}`)
    console.log(`  of which the worker's loadPyodide: ${summary(warmLoad)}`)

    // Python loaded: click → first output.
    const page = (await loadAndRun(b.context, url)).page
    const runs = []
    for (let i = 0; i < RUNS + 2; i++) {
      const r = await clickToOutput(page, 'hello', 'hello')
      await block(page, 'hello').final.waitFor()
      if (i >= 2) runs.push(r.click) // the first runs warm up the JIT and the routing
    }
    const env = await block(page, 'hello').env.innerText()
    console.log(`warm run (${env}), click Run → first output: ${summary(runs)} (goal p95 ≤ 50 ms)`)

    // Stop → "cancelled" shown, on a loop that is running in the browser.
    const stops = []
    const spin = block(page, 'spin')
    for (let i = 0; i < STOPS; i++) {
      await spin.run.click()
      await spin.log.getByText('spinning').waitFor()
      await page.waitForTimeout(100)
      stops.push(
        await page.evaluate(
          () =>
            new Promise((resolve) => {
              const sec = document.querySelector('section[data-block="spin"]')
              let t0 = 0
              const mo = new MutationObserver(() => {
                const f = sec.querySelector('[data-testid=final-status]')
                if (f && f.textContent.includes('cancelled')) {
                  mo.disconnect()
                  resolve(performance.now() - t0)
                }
              })
              mo.observe(sec, { subtree: true, childList: true, characterData: true })
              t0 = performance.now()
              ;[...sec.querySelectorAll('button')].find((x) => x.textContent === 'Stop').click()
            }),
        ),
      )
      const msg = await spin.message.innerText()
      if (msg !== 'Stopped.') console.log(`  stop ${i}: ${msg}`)
    }
    console.log(`Stop → "cancelled" shown (browser): ${summary(stops)} (goal ≤ 200 ms)`)
  } finally {
    await b.close()
  }
} finally {
  await srv.stop()
}
