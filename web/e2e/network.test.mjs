// Network loss mid-run: the browser talks to the real server through a small
// proxy that the test cuts while the program is still printing.
import { after, before, it } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { block, launchBrowser, setCode, startServer } from './helpers.mjs'

let srv
let browser
let proxy

function startProxy(target) {
  const upstream = new URL(target)
  const sockets = new Set()
  const server = http.createServer((req, res) => {
    const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode, ur.headers)
      ur.pipe(res)
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        cut: () => sockets.forEach((s) => s.destroy()),
        close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
      }),
    ),
  )
}

before(async () => {
  srv = await startServer({ config: { rate_limit: { period: '1m', per_role: { anonymous: 100 } } } })
  proxy = await startProxy(srv.url)
  browser = await launchBrowser()
})

after(async () => {
  await browser?.close()
  await proxy?.close()
  await srv?.stop()
})

it('shows a connection lost mid-run as an error, not a spinner, and runs again after', async () => {
  const page = await browser.context.newPage()
  await page.goto(proxy.url + '/lessons/e2e-python')
  const b = block(page, 'stream')
  await b.root.locator('.cm-editor').waitFor()
  await setCode(page, 'stream', 'import time\nfor i in range(20):\n    print("tick", i, flush=True)\n    time.sleep(0.5)\n')
  await b.run.click()
  await b.log.getByText('tick 1').waitFor()
  proxy.cut()
  await b.status.filter({ hasText: 'connection lost' }).waitFor({ timeout: 5000 })
  assert.match(await b.root.getByRole('alert').first().textContent(), /Connection lost/)
  assert.equal(await b.run.isEnabled(), true)
  assert.equal(await b.root.getByRole('button', { name: 'Stop' }).isDisabled(), true)
  // The output received so far stays.
  assert.match(await b.log.textContent(), /tick 0\ntick 1/)
  await setCode(page, 'stream', 'print("back")\n')
  await b.run.click()
  await b.status.filter({ hasText: 'success' }).waitFor()
  assert.match(await b.log.textContent(), /back/)
  await page.close()
})
