// End to end: an exercise in the real page. Submit a wrong solution, see
// which tests failed (in words, not only colour), fix it, see every test
// pass and the solved badge, which a reload keeps (the server remembers).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { launchBrowser, screenshotPath, setCode, startServer } from './helpers.mjs'

let srv
let browser

before(async () => {
  srv = await startServer({ config: { rate_limit: { period: '1m', per_role: { anonymous: 1000 } } } })
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await srv?.stop()
})

const good = `def fizzbuzz(n):
    if n % 15 == 0:
        return "FizzBuzz"
    if n % 3 == 0:
        return "Fizz"
    if n % 5 == 0:
        return "Buzz"
    return str(n)
`

describe('exercises', () => {
  for (const width of [1280, 390]) {
    it(`Submit shows per-test results and the solved badge (${width} px)`, async () => {
      const page = await browser.context.newPage()
      await page.setViewportSize({ width, height: 900 })
      await page.goto(srv.url + '/favicon.svg')
      await page.evaluate(() => localStorage.clear())
      await page.context().clearCookies()
      await page.goto(srv.url + '/lessons/python-exercises')
      const root = page.locator('section[data-block="fizzbuzz"]')
      const submit = root.getByRole('button', { name: 'Submit' })
      await submit.waitFor()
      assert.equal(await root.getByTestId('solved').count(), 0)
      // Hidden tests are nowhere in the page before a submission.
      assert.doesNotMatch(await page.content(), /test_big_numbers|fizzbuzz\(99\)/)

      await submit.click()
      const results = root.getByRole('region', { name: 'Test results' })
      await results.getByText('Some tests failed').waitFor()
      const failed = results.getByRole('listitem').filter({ hasText: 'failed' })
      assert.ok((await failed.count()) >= 3)
      assert.match(await results.textContent(), /test_three.*3 is a multiple of 3/s)
      assert.match(await results.textContent(), /FizzBuzzTests\.test_fifteen\s*hidden/)
      await results.scrollIntoViewIfNeeded()
      await page.screenshot({ path: screenshotPath(`exercise-failed-${width}.png`), fullPage: false })

      await setCode(page, 'fizzbuzz', good)
      await submit.click()
      await results.getByText('All tests passed').waitFor()
      assert.match(await results.textContent(), /6 of 6 passed/)
      await root.getByTestId('solved').waitFor()
      await root.scrollIntoViewIfNeeded()
      await page.screenshot({ path: screenshotPath(`exercise-solved-${width}.png`), fullPage: false })

      await page.reload()
      await page.locator('section[data-block="fizzbuzz"]').getByTestId('solved').waitFor()
      await page.close()
    })
  }
})
