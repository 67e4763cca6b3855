// Python in the browser, end to end: the real binary serving the embedded
// Pyodide runtime, headless Debian Chromium, a lesson with blocks that run
// in the browser and blocks that must go to the server.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { block, launchBrowser, makeOperatorDir, pyodideSettled, startServer } from './pyodide-harness.mjs'

const lesson = '/lessons/pyodide-e2e'

describe('Python in the browser', () => {
  let srv, browser, page
  const requests = []

  before(async () => {
    srv = await startServer()
    browser = await launchBrowser()
    browser.context.on('request', (r) => requests.push({ url: r.url(), method: r.method() }))
    page = await browser.context.newPage()
    await page.goto(srv.url + lesson)
    await block(page, 'pure').run.waitFor()
    // Every test below expects the browser path: wait for the preload (a
    // Run would otherwise wait at most 5 s for it, then use the server).
    await pyodideSettled(page)
  })

  after(async () => {
    await browser?.close()
    await srv?.stop()
  })

  const executeCalls = () => requests.filter((r) => r.method === 'POST' && /\/api\/v1\/code\/execute(\/stream)?$/.test(r.url))

  it('the page is cross-origin isolated and Python loads in the background', async () => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), true)
    assert.equal(await page.evaluate(() => typeof SharedArrayBuffer), 'function')
    assert.equal(await pyodideSettled(page), 'ready')
    // Preloading fetched the runtime from our origin, without anyone pressing Run.
    assert.ok(requests.some((r) => r.url === `${srv.url}/pyodide/pyodide.asm.wasm`))
    assert.equal(executeCalls().length, 0)
  })

  it('a pure-Python block runs in the browser: output shown, no /execute request', async () => {
    const b = block(page, 'pure')
    await b.run.click()
    await b.final.waitFor()
    assert.equal(await b.log.innerText(), 'hello from python 7\n{"ok": true}\n')
    assert.match(await b.final.innerText(), /success/)
    assert.match(await b.final.innerText(), /ran on pyodide/)
    assert.equal(await b.env.innerText(), 'python · pyodide')
    assert.equal(executeCalls().length, 0)
  })

  it('an error shows the traceback the server would show', async () => {
    const b = block(page, 'fails')
    await b.run.click()
    await b.final.waitFor()
    const out = await b.log.innerText()
    assert.match(out, /^Traceback \(most recent call last\):\n {2}File "main.py", line 3, in <module>/)
    assert.match(out, /File "main.py", line 2, in f\n {4}return 1 \/ 0\n/)
    assert.match(out, /ZeroDivisionError: division by zero\n$/)
    assert.match(await b.final.innerText(), /error[\s\S]*exit code 1[\s\S]*ran on pyodide/)
    assert.equal(await b.root.locator('.rb-stderr').first().isVisible(), true)
  })

  it('a numpy block runs on the server (the npm runtime has no wheels)', async () => {
    const before = executeCalls().length
    const b = block(page, 'np')
    await b.run.click()
    await b.final.waitFor({ timeout: 60_000 })
    assert.equal(await b.log.innerText(), 'numpy sum 10\n')
    assert.match(await b.final.innerText(), /ran on server/)
    assert.equal(executeCalls().length, before + 1)
  })

  it('input() is typed inline in the terminal and reaches the program in the browser', async () => {
    const before = executeCalls().length
    const b = block(page, 'ask')
    await b.run.click()
    await b.input.waitFor()
    await b.log.getByText('Name?').waitFor()
    await b.input.fill('Ada')
    await b.input.press('Enter')
    await b.final.waitFor()
    assert.equal(await b.log.innerText(), 'Name? Ada\nHi Ada!\n')
    assert.match(await b.final.innerText(), /success[\s\S]*ran on pyodide/)
    assert.equal(executeCalls().length, before)
  })

  it('Stop also ends a program waiting in input(), without restarting the worker', async () => {
    const b = block(page, 'ask')
    await b.run.click()
    await b.input.waitFor()
    await b.log.getByText('Name?').waitFor()
    await b.stop.click()
    await b.final.waitFor()
    assert.match(await b.final.innerText(), /cancelled[\s\S]*ran on pyodide/)
    assert.equal(await b.message.innerText(), 'Stopped.')
    assert.equal(await b.input.count(), 0)
  })

  it('Stop ends `while True: pass` through KeyboardInterrupt (no worker restart), and the next Run works', async () => {
    const b = block(page, 'spin')
    await b.run.click()
    await b.log.getByText('spinning').waitFor()
    await b.stop.click()
    await b.final.waitFor()
    assert.match(await b.final.innerText(), /cancelled[\s\S]*ran on pyodide/)
    // "Stopped." comes from the interrupt; the 1 s watchdog would have said it restarted the worker.
    assert.equal(await b.message.innerText(), 'Stopped.')
    assert.equal(await page.evaluate(() => document.documentElement.dataset.pyodide), 'ready')

    await b.run.click()
    await b.log.getByText('spinning').waitFor()
    await b.stop.click()
    await b.final.waitFor()
    assert.equal(await b.message.innerText(), 'Stopped.')

    const p = block(page, 'pure')
    await p.run.click()
    await p.final.waitFor()
    assert.match(await p.final.innerText(), /success[\s\S]*ran on pyodide/)
  })

  it('output without a newline shows while the program runs, and Stop interrupts time.sleep', async () => {
    const b = block(page, 'progress')
    await b.run.click()
    await b.log.getByText('working..').waitFor()
    assert.equal(await b.status.innerText(), 'running')
    await b.stop.click()
    await b.final.waitFor()
    assert.match(await b.final.innerText(), /cancelled[\s\S]*ran on pyodide/)
    assert.equal(await b.message.innerText(), 'Stopped.')
  })

  it('a figure still open when the program ends is posted by the worker and shown inline', async () => {
    const b = block(page, 'figure')
    const before = executeCalls().length
    await b.run.click()
    await b.final.waitFor()
    assert.match(await b.final.innerText(), /ran on pyodide/)
    const img = b.log.getByRole('img', { name: 'Figure 1: stand-in chart' })
    await img.waitFor()
    assert.equal(await img.evaluate((i) => i.complete && i.naturalWidth), 1)
    assert.equal(executeCalls().length, before)
    const text = await b.log.innerText()
    assert.ok(text.indexOf('drawn') < text.indexOf('Download'), text)
  })

  it("a block's variables are not visible to the next block", async () => {
    const s = block(page, 'setx')
    await s.run.click()
    await s.final.waitFor()
    assert.equal(await s.log.innerText(), 'secret set\n')
    const g = block(page, 'getx')
    await g.run.click()
    await g.final.waitFor()
    assert.equal(await g.log.innerText(), 'no secret here\n')
    assert.match(await g.final.innerText(), /ran on pyodide/)
  })

  it('output past the 10,000-character cap is cut, and the terminal says so', async () => {
    const b = block(page, 'flood')
    await b.run.click()
    await b.final.waitFor()
    assert.match(await b.final.innerText(), /success[\s\S]*ran on pyodide/)
    await b.root.locator('.rb-truncated').waitFor()
    // The first 10,000 characters are the numbers 0 to 2221 (the terminal
    // itself shows the last 2,000 lines of them).
    const out = await b.log.innerText()
    assert.ok(out.includes('\n2000\n'), out.slice(-40))
    assert.ok(!out.includes('\n2300\n'), out.slice(-40))
  })

  it("the block's time limit ends a browser run as a timeout", async () => {
    const b = block(page, 'quick')
    await b.run.click()
    await b.final.waitFor({ timeout: 30_000 })
    assert.match(await b.final.innerText(), /timeout[\s\S]*ran on pyodide/)
    assert.match(await b.message.innerText(), /^Execution timed out after 2s/)
  })

  it('browser runs appear in GET /executions with environment "pyodide"', async () => {
    // Reports are sent in the background: poll until the pure block's is there.
    const list = await page.waitForFunction(async () => {
      const r = await fetch('/api/v1/code/executions?limit=50', { credentials: 'same-origin' })
      const j = await r.json()
      const runs = j.executions.filter((e) => e.environment === 'pyodide' && e.code_block_id === 'pure')
      return runs.length > 0 ? j.executions : false
    }, null, { timeout: 15_000, polling: 200 })
    const runs = await list.jsonValue()
    const pure = runs.find((e) => e.code_block_id === 'pure')
    assert.equal(pure.environment, 'pyodide')
    assert.equal(pure.language, 'python')
    assert.equal(pure.status, 'success')
    assert.equal(pure.content_id, 'pyodide-e2e')
    assert.equal(pure.output, 'hello from python 7\n{"ok": true}\n')
    const np = runs.find((e) => e.code_block_id === 'np')
    assert.equal(np?.environment, 'server')
    const stats = await page.evaluate(async () => (await fetch('/api/v1/code/stats')).json())
    assert.ok(stats.by_environment?.pyodide >= 1, JSON.stringify(stats))
  })

  it('no request left the origin', () => {
    const foreign = requests.filter((r) => !r.url.startsWith(srv.url + '/'))
    assert.deepEqual(foreign, [])
    assert.ok(requests.length > 10)
  })
})

describe('when Python cannot load in the browser', () => {
  let srv, browser

  before(async () => {
    srv = await startServer()
    browser = await launchBrowser()
  })

  after(async () => {
    await browser?.close()
    await srv?.stop()
  })

  it('the same block runs on the server and the terminal says why', async () => {
    const ctx = browser.context
    await ctx.route('**/pyodide/pyodide.mjs', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"no such file"}' }))
    const requests = []
    ctx.on('request', (r) => requests.push({ url: r.url(), method: r.method() }))
    const page = await ctx.newPage()
    await page.goto(srv.url + lesson)
    assert.equal(await pyodideSettled(page), 'failed')
    const b = block(page, 'pure')
    await b.run.click()
    await b.final.waitFor({ timeout: 60_000 })
    assert.equal(await b.log.innerText(), 'hello from python 7\n{"ok": true}\n')
    assert.match(await b.final.innerText(), /success[\s\S]*ran on server/)
    const warning = await b.warnings.innerText()
    assert.match(warning, /Python could not start in this browser \(.+\), so this run used the server\./)
    assert.match(warning, /pyodide\.mjs/, warning)
    assert.equal(requests.filter((r) => r.method === 'POST' && r.url.endsWith('/api/v1/code/execute/stream')).length, 1)
  })
})

describe("an operator's Pyodide distribution (browser.pyodide_dir)", () => {
  let srv, browser, op

  before(async () => {
    op = makeOperatorDir()
    const wheelLesson = `---
title: Wheels
---

\`\`\`python {runnable id=wheel title="A served wheel"}
import rbgreet
print(rbgreet.hello("Ada"))
\`\`\`

\`\`\`python {runnable id=np title="NumPy"}
import numpy
print("numpy", numpy.__name__)
\`\`\`
`
    srv = await startServer({ env: { RUNBLOCK_PYODIDE_DIR: op.dir }, lessons: { 'wheels.md': wheelLesson } })
    browser = await launchBrowser()
  })

  after(async () => {
    await browser?.close()
    await srv?.stop()
    op?.remove()
  })

  it('lists exactly the packages whose wheels are there, and imports of them run in the browser', async () => {
    const envs = await (await fetch(srv.url + '/api/v1/code/environments')).json()
    const py = envs.environments.find((e) => e.id === 'pyodide')
    assert.equal(py.available, true)
    assert.deepEqual(py.packages, ['rbgreet==1.0'])
    assert.match(py.runtime, /^pyodide 314\./)

    const requests = []
    browser.context.on('request', (r) => requests.push({ url: r.url(), method: r.method() }))
    const page = await browser.context.newPage()
    await page.goto(srv.url + '/lessons/wheels')
    assert.equal(await pyodideSettled(page), 'ready')
    const w = block(page, 'wheel')
    await w.run.click()
    await w.final.waitFor({ timeout: 30_000 })
    assert.equal(await w.log.innerText(), 'hello Ada from a served wheel\n')
    assert.match(await w.final.innerText(), /success[\s\S]*ran on pyodide/)
    assert.ok(requests.some((r) => r.url === `${srv.url}/pyodide/rbgreet-1.0-py3-none-any.whl`))

    // numpy is in the lock file but its wheel is not served: the server runs it.
    const n = block(page, 'np')
    await n.run.click()
    await n.final.waitFor({ timeout: 60_000 })
    assert.match(await n.final.innerText(), /ran on server/)
    assert.ok(!requests.some((r) => r.url.includes('/pyodide/numpy')))
    assert.deepEqual(requests.filter((r) => !r.url.startsWith(srv.url + '/')), [])
  })
})
