// The ROS 2 lesson on a server without a ROS 2 image: the page says so
// when the learner presses Run, instead of retrying or failing vaguely.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { block, launchBrowser, screenshotPath, startServer } from './helpers.mjs'

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

describe('ROS 2 lesson without a ROS 2 image', () => {
  for (const width of [1280, 390]) {
    it(`shows "needs the ros2 image" on Run at ${width} px`, async () => {
      const page = await browser.context.newPage()
      await page.setViewportSize({ width, height: 900 })
      await page.goto(srv.url + '/lessons/ros2-pubsub')
      const b = block(page, 'ros2-pubsub')
      await b.root.locator('.cm-editor').waitFor()
      await b.run.click()
      await b.root.getByText(/needs the ros2 image/).first().waitFor({ timeout: 15_000 })
      // Shown at once: a long Retry-After is not waited for.
      assert.doesNotMatch(await b.root.textContent(), /retrying|server busy/i)
      await b.root.locator('.rb-badge-unavailable').first().waitFor()
      await b.root.scrollIntoViewIfNeeded()
      await page.screenshot({ path: screenshotPath(`ros2-missing-${width}.png`), fullPage: false })
      await page.close()
    })
  }
})
