// C in the browser through the wasm environment, in headless Chromium
// against the real binary:
//   - first run of a block: compile on the server (cache miss) + fetch the
//     module + run in the worker → "success" (p50 of FIRST, each a new source)
//   - later runs of the same block: the server's cache answers the compile,
//     the module is already compiled in the page → "success" (p50 of RUNS)
//   - Stop on an endless loop → "cancelled" (p50 of STOPS)
// Usage: node scripts/measure-wasm.mjs   (FIRST=5 RUNS=20 STOPS=5; needs ../bin/runblock and a built dist)
import { launchBrowser, setCode, startServer } from '../e2e/helpers.mjs'

const FIRST = Number(process.env.FIRST ?? 5)
const RUNS = Number(process.env.RUNS ?? 20)
const STOPS = Number(process.env.STOPS ?? 5)

const hello = '#include <stdio.h>\nint main(void) { puts("Hello, World!"); return 0; }\n'
const lesson = `---
title: Measure wasm
---

\`\`\`c {runnable id=hello env=wasm title="Hello"}
${hello}\`\`\`

\`\`\`c {runnable id=spin env=wasm title="Spin"}
#include <stdio.h>
int main(void) { volatile unsigned long n = 0; puts("spinning"); fflush(stdout); for (;;) n++; }
\`\`\`
`

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]
}
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`)
const summary = (xs) => `p50 ${fmt(pct(xs, 50))}, p95 ${fmt(pct(xs, 95))}, min ${fmt(Math.min(...xs))}, max ${fmt(Math.max(...xs))} (n=${xs.length})`

/** Clicks Run or Stop of a block; resolves with ms until its status leaves `want` and comes back to it. */
function clickUntil(page, blockId, button, want) {
  return page.evaluate(
    ({ blockId, button, want }) =>
      new Promise((resolve) => {
        const sec = document.querySelector(`section[data-block="${blockId}"]`)
        const status = () => sec.querySelector('[data-testid=status]')?.textContent ?? ''
        let left = status() !== want
        const mo = new MutationObserver(() => {
          const s = status()
          if (s !== want) left = true
          else if (left) {
            mo.disconnect()
            resolve(performance.now() - t0)
          }
        })
        mo.observe(sec, { subtree: true, childList: true, characterData: true })
        const t0 = performance.now()
        const btn = button === 'stop' ? [...sec.querySelectorAll('button')].find((x) => x.textContent === 'Stop') : sec.querySelector('button.rb-run')
        btn.click()
      }),
    { blockId, button, want },
  )
}

const srv = await startServer({ config: { rate_limit: { period: '1m', per_role: { anonymous: 100000 } } }, lessons: { 'measure.md': lesson } })
const b = await launchBrowser()
try {
  const page = await b.context.newPage()
  await page.goto(srv.url + '/lessons/measure')
  await page.locator('section[data-block="hello"] .cm-editor').waitFor()
  const first = []
  for (let i = 0; i < FIRST; i++) {
    await setCode(page, 'hello', hello.replace('World', `World ${Date.now()}`))
    first.push(await clickUntil(page, 'hello', 'run', 'success'))
  }
  await setCode(page, 'hello', hello)
  await clickUntil(page, 'hello', 'run', 'success')
  const runs = []
  for (let i = 0; i < RUNS; i++) runs.push(await clickUntil(page, 'hello', 'run', 'success'))
  const stops = []
  for (let i = 0; i < STOPS; i++) {
    await page.evaluate(() => document.querySelector('section[data-block="spin"] button.rb-run').click())
    await page.locator('section[data-block="spin"] [role=log]').getByText('spinning').waitFor()
    stops.push(await clickUntil(page, 'spin', 'stop', 'cancelled'))
  }
  console.log(`first run of a new C block (server compile miss + module fetch + worker run), click → success: ${summary(first)}`)
  console.log(`later runs of the same block (compile cache hit, module already in the page), click → success: ${summary(runs)}`)
  console.log(`Stop on an endless loop, click → cancelled: ${summary(stops)}`)
} finally {
  await b.close()
  await srv.stop()
}
