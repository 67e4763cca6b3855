// The anonymous quota, end to end: a small quota on its own server.
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import { block, launchBrowser, screenshotPath, startServer } from './helpers.mjs'

let srv
let browser

before(async () => {
  srv = await startServer({ config: { rate_limit: { period: '6s', per_role: { anonymous: 2 } } } })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await srv?.stop()
})

it('after the quota shows the 429 message and a countdown, then Run re-enables', async () => {
  const page = await browser.context.newPage()
  await page.goto(srv.url + '/lessons/e2e-python')
  const b = block(page, 'stream')
  await b.root.locator('.cm-editor').waitFor()
  for (let i = 0; i < 2; i++) {
    await b.run.click()
    await b.status.filter({ hasText: 'success' }).waitFor()
  }
  await b.root.getByText(/0\/2 runs left/).waitFor()
  await b.run.click()
  const notice = b.root.getByTestId('ratelimit')
  await notice.waitFor()
  assert.match(await notice.textContent(), /Run limit reached\. You can run again in \d+ s/)
  assert.equal(await b.status.textContent(), 'rate limited')
  await b.root.screenshot({ path: screenshotPath('rate-limited.png') })
  assert.equal(await b.run.isDisabled(), true)
  assert.match(await b.run.textContent(), /wait \d+ s/)
  // The limit is per learner: the other blocks wait too.
  assert.equal(await block(page, 'ask').run.isDisabled(), true)
  const first = Number((await notice.textContent()).match(/in (\d+) s/)[1])
  if (first > 1) await b.root.getByTestId('ratelimit').filter({ hasText: `in ${first - 1} s` }).waitFor()
  await notice.waitFor({ state: 'detached', timeout: 15_000 })
  assert.equal(await b.run.isEnabled(), true)
  await b.run.click()
  await b.status.filter({ hasText: 'success' }).waitFor()
  await page.close()
})
