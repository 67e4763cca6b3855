// Figures on the server path, in headless Chromium against the real binary:
//   - click Run → the figure's <img> shown (p50 over RUNS)
//   - click Run → final status, for the plot program with plt.show() and
//     for the same program saving the figure to /tmp instead (the same
//     rendering, no image sent): the difference is what the image path adds
//   - embed.js gzip, and what the embed loads before/after its editor
// Usage: npm run measure-figures   (RUNS=15; needs ../bin/runblock with
// figure support, a built dist, and matplotlib in the sandbox's Python)
import { gzipSync } from 'node:zlib'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { launchBrowser, setCode, startServer, webDir } from '../e2e/helpers.mjs'

const RUNS = Number(process.env.RUNS ?? 15)
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}
const summary = (xs) => `p50 ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)} ms (n=${xs.length})`

const dist = join(webDir, 'dist')
const gz = (p) => gzipSync(readFileSync(p), { level: 9 }).length
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
const embed = gz(join(dist, 'embed.js'))
const chunks = readdirSync(join(dist, 'embed-assets')).map((f) => ({ f, gz: gz(join(dist, 'embed-assets', f)) }))
const pre = chunks.filter((c) => c.f.startsWith('preload-helper'))
console.log(`embed.js: ${kb(embed)} gzip -9; before the editor loads: ${kb(embed + pre.reduce((a, c) => a + c.gz, 0))} (goal ≤ 60 KB)`)
for (const c of chunks) console.log(`  embed-assets/${c.f}: ${kb(c.gz)} gzip -9`)

const srv = await startServer({ config: { rate_limit: { period: '1m', per_role: { anonymous: 100000 } } } })
const browser = await launchBrowser()
const plot = 'import matplotlib.pyplot as plt\nprint("before")\nplt.plot([1, 4, 2, 5])\nplt.title("Rising line")\nplt.show()\nprint("after")\n'
try {
  const page = await browser.context.newPage()
  await page.goto(srv.url + '/lessons/e2e-python')
  await page.locator('section[data-block="plot"] .cm-editor').waitFor()
  // Times in the page: from the click to the first <img> in the block's log, and to the final status.
  const once = () =>
    page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const root = document.querySelector('section[data-block="plot"]')
          const run = [...root.querySelectorAll('button')].find((b) => b.textContent.startsWith('Run'))
          let img = null
          const t0 = performance.now()
          const mo = new MutationObserver(() => {
            if (img === null && root.querySelector('[role=log] img')) img = performance.now() - t0
            const fin = root.querySelector('[data-testid=final-status]')
            if (fin) {
              mo.disconnect()
              const status = fin.querySelector('.rb-badge').textContent
              if (status !== 'success') reject(new Error(`run ended ${status}: ${root.querySelector('[role=log]').textContent}`))
              else resolve({ img, done: performance.now() - t0 })
            }
          })
          mo.observe(root, { subtree: true, childList: true, characterData: true })
          run.click()
        }),
    )
  const series = async (code) => {
    await setCode(page, 'plot', code)
    await once() // warm-up
    const xs = []
    for (let i = 0; i < RUNS; i++) xs.push(await once())
    return xs
  }
  const withImage = await series(plot)
  if (withImage.some((x) => x.img === null)) throw new Error('no image shown: does the server capture figures?')
  const textOnly = await series(plot.replace('plt.show()', 'plt.savefig("/tmp/fig.png")\nplt.close()'))
  console.log(`plot program, click → image shown (server): ${summary(withImage.map((x) => x.img))}`)
  console.log(`plot program, click → final status, with plt.show(): ${summary(withImage.map((x) => x.done))}`)
  console.log(`same program, savefig to /tmp (text only):       ${summary(textOnly.map((x) => x.done))}`)
  console.log(`added by the image path (p50 difference): ${(pct(withImage.map((x) => x.done), 50) - pct(textOnly.map((x) => x.done), 50)).toFixed(0)} ms`)
} finally {
  await browser.close()
  await srv.stop()
}
