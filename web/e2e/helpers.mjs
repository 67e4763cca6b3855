// Starts the real `runblock serve` and a headless Debian Chromium for the
// end-to-end tests and the measure script. Nothing is mocked.
import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const here = dirname(fileURLToPath(import.meta.url))
export const webDir = resolve(here, '..')
export const repoDir = resolve(webDir, '..')
export const resultsDir = join(webDir, 'test-results')

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer()
    s.unref()
    s.on('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => res(port))
    })
  })
}

/**
 * Runs the binary on a free loopback port with a temp data dir, a temp
 * config and a content dir holding the repo's lessons plus e2e/fixtures, or
 * only `lessons` (file name → Markdown) when given.
 */
export async function startServer({ config = {}, env = {}, lessons = null } = {}) {
  const bin = process.env.RUNBLOCK_BIN ?? join(repoDir, 'bin', 'runblock')
  const tmp = mkdtempSync(join(tmpdir(), 'runblock-e2e-'))
  const content = join(tmp, 'content')
  mkdirSync(content)
  if (lessons) {
    for (const [name, text] of Object.entries(lessons)) writeFileSync(join(content, name), text)
  } else {
    for (const dir of [join(repoDir, 'content'), join(here, 'fixtures')]) {
      for (const f of readdirSync(dir)) if (f.endsWith('.md')) cpSync(join(dir, f), join(content, f))
    }
  }
  const cfgFile = join(tmp, 'config.json')
  writeFileSync(cfgFile, JSON.stringify(config))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', join(tmp, 'data'), '--content-dir', content, '--config', cfgFile, '--allow-anonymous'], {
    env: { ...process.env, RUNBLOCK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let log = ''
  proc.stdout.on('data', (d) => (log += d))
  proc.stderr.on('data', (d) => (log += d))
  const exited = new Promise((res) => proc.on('exit', res))
  const deadline = Date.now() + 20_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`runblock serve exited (${proc.exitCode}):\n${log}`)
    try {
      const r = await fetch(`${url}/healthz`)
      if (r.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL')
      throw new Error(`runblock serve did not come up:\n${log}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url,
    log: () => log,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(t)
      }
      rmSync(tmp, { recursive: true, force: true })
    },
  }
}

export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'runblock-chromium-'))
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions',
  ]
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args,
    viewport: { width: 1280, height: 900 },
  })
  return {
    context,
    async close() {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}

/** Records every request a page makes, to prove none leaves the origin. */
export function recordRequests(page) {
  const urls = []
  page.on('request', (r) => urls.push(r.url()))
  return urls
}

export function screenshotPath(name) {
  mkdirSync(resultsDir, { recursive: true })
  return join(resultsDir, name)
}

/** Replaces a block's editor text, as if the learner selected all and typed it. */
export async function setCode(page, blockId, code) {
  const editor = page.locator(`section[data-block="${blockId}"] .cm-content`)
  await editor.click()
  await page.keyboard.press('Control+A')
  await page.keyboard.press('Delete')
  await page.keyboard.insertText(code)
}

export function block(page, id) {
  const root = page.locator(`section[data-block="${id}"]`)
  return {
    root,
    run: root.getByRole('button', { name: /^Run/ }),
    stop: root.getByRole('button', { name: 'Stop' }),
    reset: root.getByRole('button', { name: 'Reset' }),
    status: root.getByTestId('status'),
    log: root.getByRole('log'),
    input: root.getByRole('textbox', { name: /Input for the program/ }),
    // CodeMirror draws one .cm-line per line (all of them, for blocks this short).
    editorText: () => root.locator('.cm-line').evaluateAll((ls) => ls.map((l) => l.textContent).join('\n')),
  }
}
