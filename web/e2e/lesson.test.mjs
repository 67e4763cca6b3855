// End to end: the real binary, the embedded page, headless Debian Chromium.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { block, launchBrowser, recordRequests, screenshotPath, setCode, startServer } from './helpers.mjs'

let srv
let browser
const allRequests = []

// A large quota: these tests run many programs (the 429 test has its own server).
const config = { rate_limit: { period: '1m', per_role: { anonymous: 1000 } } }

before(async () => {
  srv = await startServer({ config })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await srv?.stop()
})

async function open(path, { width = 1280, colorScheme = 'light' } = {}) {
  const page = await browser.context.newPage()
  await page.setViewportSize({ width, height: 900 })
  await page.emulateMedia({ colorScheme })
  page.on('request', (r) => allRequests.push(r.url()))
  // One browser profile for all tests: start each from no saved edits.
  await page.goto(srv.url + '/favicon.svg')
  await page.evaluate(() => localStorage.clear())
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  // CSP violations are console errors; failed loads are named by their response.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && errors.push(m.text()))
  page.on('response', (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`))
  page.errors = errors
  await page.goto(srv.url + path)
  return page
}

describe('lesson page', () => {
  it('lists the lessons at / and links to each', async () => {
    const page = await open('/')
    await page.getByRole('heading', { name: 'Lessons' }).waitFor()
    const link = page.getByRole('link', { name: 'Python basics' })
    await link.click()
    await page.waitForURL('**/lessons/python-basics')
    await page.locator('section.rb-block').first().waitFor()
    assert.deepEqual(page.errors, [])
    await page.close()
  })

  it('renders the prose and mounts an editor in every runnable block', async () => {
    const page = await open('/lessons/python-basics')
    await page.getByRole('heading', { name: 'Python basics', level: 1 }).waitFor()
    await page.locator('section.rb-block .cm-editor').first().waitFor()
    const placeholders = await page.locator('div.runblock-block[data-block-id]').count()
    const mounted = await page.locator('div.runblock-block[data-block-id] > section.rb-block .cm-editor').count()
    assert.ok(placeholders >= 3, `placeholders: ${placeholders}`)
    assert.equal(mounted, placeholders)
    // Syntax colours arrive with the grammar chunk.
    await page.locator('section.rb-block .cm-editor .tok-string').first().waitFor()
    assert.deepEqual(page.errors, [])
    await page.close()
  })

  it('shows output line by line while the program still runs', async () => {
    const page = await open('/lessons/e2e-python')
    const b = block(page, 'stream')
    await setCode(page, 'stream', 'import time\nprint("first", flush=True)\ntime.sleep(2)\nprint("second")\n')
    await b.run.click()
    await b.log.getByText('first').waitFor()
    // The first line is on screen while the program is still sleeping.
    assert.equal(await b.status.textContent(), 'running')
    assert.equal(await b.log.getByText('second').count(), 0)
    await b.status.filter({ hasText: 'success' }).waitFor()
    assert.match(await b.log.textContent(), /first\nsecond/)
    assert.match(await b.root.getByTestId('final-status').textContent(), /exit code 0/)
    assert.equal(await b.root.getByTestId('environment').textContent(), 'python · server')
    await page.close()
  })

  it('feeds a line typed into the terminal to input()', async () => {
    const page = await open('/lessons/e2e-python')
    const b = block(page, 'ask')
    await b.run.click()
    await b.input.waitFor()
    await b.log.getByText('name?').waitFor()
    await b.input.fill('Ada')
    await b.input.press('Enter')
    await b.log.getByText('Hello, Ada').waitFor()
    await b.status.filter({ hasText: 'success' }).waitFor()
    // The typed line is echoed after the prompt.
    assert.match(await b.log.textContent(), /name\? Ada\nHello, Ada/)
    await page.close()
  })

  it('Stop ends `while True: pass` within a second and shows cancelled', async () => {
    const page = await open('/lessons/e2e-python')
    const b = block(page, 'spin')
    await b.run.click()
    await b.status.filter({ hasText: 'running' }).waitFor()
    await b.stop.click()
    await b.status.filter({ hasText: 'cancelled' }).waitFor({ timeout: 1000 })
    assert.match(await b.root.getByTestId('final-status').textContent(), /cancelled/)
    assert.equal(await b.run.isEnabled(), true)
    await page.close()
  })

  it('shows the C compiler\'s error message', async () => {
    const page = await open('/lessons/e2e-c')
    const b = block(page, 'broken')
    await b.run.click()
    await b.status.filter({ hasText: 'error' }).waitFor()
    const out = await b.log.textContent()
    assert.match(out, /error: expected .;. before .return./) // gcc quotes with ‘’ in a UTF-8 locale
    assert.match(out, /main\.c:4/)
    await page.close()
  })

  it('Reset restores the code, and edits survive a reload', async () => {
    const page = await open('/lessons/e2e-python')
    let b = block(page, 'edit')
    await page.locator('section[data-block="edit"] .cm-content').click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('\nprint("mine")')
    assert.match(await b.editorText(), /print\("original"\)\nprint\("mine"\)/)
    await b.root.getByText('edited', { exact: true }).waitFor()
    await page.reload() // right away: leaving the page saves a pending edit
    b = block(page, 'edit')
    await b.root.locator('.cm-editor').waitFor()
    assert.match(await b.editorText(), /print\("mine"\)/)
    await b.reset.click()
    assert.equal(await b.editorText(), 'print("original")')
    await page.reload()
    b = block(page, 'edit')
    await b.root.locator('.cm-editor').waitFor()
    assert.equal(await b.editorText(), 'print("original")')
    await page.close()
  })

  it('works with the keyboard only: Tab reaches Run, Ctrl+Enter runs', async () => {
    const page = await open('/lessons/e2e-python')
    await page.locator('section.rb-block .cm-editor').first().waitFor()
    const b = block(page, 'stream')
    let reached = false
    for (let i = 0; i < 30 && !reached; i++) {
      await page.keyboard.press('Tab')
      reached = await b.run.evaluate((el) => el === document.activeElement)
    }
    assert.ok(reached, 'Tab never reached the first Run button')
    await page.keyboard.press('Enter')
    await b.status.filter({ hasText: 'success' }).waitFor()
    assert.match(await b.log.textContent(), /ready/)

    // In the editor, Ctrl+Enter runs; Esc then Tab leaves it.
    const ed = page.locator('section[data-block="ask"] .cm-content')
    await ed.focus()
    await page.keyboard.press('Control+Enter')
    const ask = block(page, 'ask')
    await ask.log.getByText('name?').waitFor()
    await ask.stop.click()
    await ask.status.filter({ hasText: 'cancelled' }).waitFor()
    await ed.focus()
    await page.keyboard.press('Escape')
    await page.keyboard.press('Tab')
    const left = await page.evaluate(() => !document.activeElement?.closest('.cm-editor'))
    assert.ok(left, 'Esc then Tab should move focus out of the editor')

    // Typing in the editor makes Tab indent there (and not leave).
    await ed.focus()
    await page.keyboard.press('End')
    await page.keyboard.press('Tab')
    assert.ok(await page.evaluate(() => !!document.activeElement?.closest('.cm-editor')), 'Tab after typing should indent')
    await page.close()
  })

  it('caps a flood of output with a notice and stays responsive', async () => {
    const page = await open('/lessons/e2e-python')
    const b = block(page, 'stream')
    await setCode(page, 'stream', 'for i in range(200000):\n    print(i)\n')
    await b.run.click()
    await b.root.getByText(/Output truncated/).waitFor()
    await b.status.filter({ hasText: 'error' }).waitFor()
    assert.match(await b.root.getByRole('alert').first().textContent(), /Output limit reached/)
    // Still usable: typing lands in the editor.
    await page.locator('section[data-block="stream"] .cm-content').click()
    await page.keyboard.press('Control+End')
    await page.keyboard.type('# ok')
    assert.match(await b.editorText(), /# ok$/)
    await page.close()
  })

  it('fits a 360 px wide screen without sideways scrolling', async () => {
    for (const path of ['/', '/lessons/python-basics', '/lessons/e2e-c']) {
      const page = await open(path, { width: 360 })
      await page.locator('main h1').first().waitFor()
      if (path !== '/') await page.locator('section.rb-block .cm-editor').first().waitFor()
      const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }))
      assert.ok(scroll <= client, `${path}: page is ${scroll} px wide in a ${client} px window`)
      await page.close()
    }
  })

  it('takes screenshots of a lesson at 1280 and 390 px, light and dark', async () => {
    for (const colorScheme of ['light', 'dark']) {
      for (const width of [1280, 390]) {
        const page = await open('/lessons/python-basics', { width, colorScheme })
        const b = block(page, 'hello')
        await b.run.click()
        await b.status.filter({ hasText: 'success' }).waitFor()
        // On a phone the block and its output are below the intro: show them.
        if (width < 600) await b.root.evaluate((el) => el.scrollIntoView({ block: 'start' }))
        await page.screenshot({ path: screenshotPath(`lesson-${width}-${colorScheme}.png`) })
        // CodeMirror measures an editor when it scrolls into view: visit each before the full-page shot.
        for (const ed of await page.locator('.cm-editor').all()) await ed.scrollIntoViewIfNeeded()
        await page.evaluate(() => window.scrollTo(0, 0))
        await page.waitForTimeout(100)
        await page.screenshot({ path: screenshotPath(`lesson-${width}-${colorScheme}-full.png`), fullPage: true })
        await page.close()
      }
    }
  })

  it('made no request to another origin', () => {
    assert.ok(allRequests.length > 20, `only ${allRequests.length} requests recorded`)
    const foreign = allRequests.filter((u) => new URL(u).origin !== srv.url && !u.startsWith('data:') && !u.startsWith('blob:'))
    assert.deepEqual(foreign, [])
  })
})
