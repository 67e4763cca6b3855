// The real `runblock serve` and headless Debian Chromium for the Pyodide
// end-to-end tests and measurements. Nothing is mocked.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { launchBrowser, startServer as startServerWith } from './helpers.mjs'

const here = dirname(fileURLToPath(import.meta.url))
export const webDir = resolve(here, '..')
export const repoDir = resolve(webDir, '..')

/** A lesson whose blocks exercise the browser path (written to a temp content dir). */
export const pyodideLesson = `---
title: Python in the browser (e2e)
---

# Python in the browser

\`\`\`python {runnable id=pure title="Pure Python"}
import math, json
print("hello from", "python", math.isqrt(49))
print(json.dumps({"ok": True}))
\`\`\`

\`\`\`python {runnable id=np title="NumPy"}
import numpy as np
print("numpy sum", np.arange(5).sum())
\`\`\`

\`\`\`python {runnable id=ask title="Asks"}
name = input("Name? ")
print("Hi", name + "!")
\`\`\`

\`\`\`python {runnable id=spin title="Spins"}
print("spinning", flush=True)
while True:
    pass
\`\`\`

\`\`\`python {runnable id=progress title="Progress"}
import time
print("working", end="")
while True:
    time.sleep(0.2)
    print(".", end="")
\`\`\`

\`\`\`python {runnable id=setx title="Sets a variable"}
secret = 42
print("secret set")
\`\`\`

\`\`\`python {runnable id=getx title="Reads it"}
try:
    print("secret is", secret)
except NameError:
    print("no secret here")
\`\`\`

\`\`\`python {runnable id=fails title="Raises"}
def f():
    return 1 / 0
f()
\`\`\`

\`\`\`python {runnable id=flood title="Floods"}
for i in range(5000):
    print(i)
\`\`\`

\`\`\`python {runnable id=quick timeout=2 title="Time limit"}
while True:
    pass
\`\`\`

\`\`\`python {runnable id=figure title="A figure left open"}
# Stands in for matplotlib (no wheels here): a pyplot module with one open
# figure, which the worker's exit hook must post as an image.
import base64, sys, types
png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
class Axes:
    def get_title(self):
        return "stand-in chart"
class Figure:
    def get_axes(self):
        return [Axes()]
    def savefig(self, buf, format, dpi):
        buf.write(png)
plt = types.ModuleType("matplotlib.pyplot")
plt.figures = {1: Figure()}
# Bound to the module, not to this program's globals (cleared when it ends):
# the module stays in sys.modules for later blocks.
plt.get_fignums = lambda p=plt: sorted(p.figures)
plt.figure = lambda n, p=plt: p.figures[n]
plt.close = lambda which, p=plt: p.figures.clear()
sys.modules["matplotlib.pyplot"] = plt
print("drawn")
\`\`\`
`

/** The real server with only the Pyodide lesson (see helpers.mjs). */
export function startServer({ lessons = { 'pyodide-e2e.md': pyodideLesson }, ...opts } = {}) {
  return startServerWith({ ...opts, lessons })
}

export { launchBrowser }

export function block(page, id) {
  const root = page.locator(`section[data-block="${id}"]`)
  return {
    root,
    run: root.getByRole('button', { name: /^Run/ }),
    stop: root.getByRole('button', { name: 'Stop' }),
    status: root.getByTestId('status'),
    log: root.getByRole('log'),
    env: root.getByTestId('environment'),
    final: root.getByTestId('final-status'),
    input: root.getByRole('textbox', { name: /Input for the program/ }),
    warnings: root.locator('.rb-warnings'),
    message: root.locator('.rb-message'),
  }
}

/** Waits until the page says Python in the browser is ready (or failed). */
export async function pyodideSettled(page, timeout = 60_000) {
  await page.waitForFunction(() => ['ready', 'failed', 'unsupported'].includes(document.documentElement.dataset.pyodide ?? ''), null, { timeout })
  return page.evaluate(() => document.documentElement.dataset.pyodide)
}

/**
 * An operator's Pyodide directory: the built runtime plus a small
 * pure-Python wheel ("rbgreet") added to its lock file the way Pyodide's
 * full distribution lists its wheels. numpy stays listed without its wheel.
 */
export function makeOperatorDir() {
  const dir = mkdtempSync(join(tmpdir(), 'runblock-pyodide-dir-'))
  const wheel = 'rbgreet-1.0-py3-none-any.whl'
  execFileSync('python3', ['-c', `
import hashlib, json, os, shutil, sys, zipfile
src, dst, wheel = sys.argv[1], sys.argv[2], sys.argv[3]
for f in os.listdir(src):
    shutil.copy(os.path.join(src, f), dst)
with zipfile.ZipFile(os.path.join(dst, wheel), "w") as z:
    z.writestr("rbgreet/__init__.py", "def hello(name):\\n    return f'hello {name} from a served wheel'\\n")
    z.writestr("rbgreet-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: rbgreet\\nVersion: 1.0\\n")
    z.writestr("rbgreet-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: runblock-e2e\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    z.writestr("rbgreet-1.0.dist-info/RECORD", "")
sha = hashlib.sha256(open(os.path.join(dst, wheel), "rb").read()).hexdigest()
lock_path = os.path.join(dst, "pyodide-lock.json")
lock = json.load(open(lock_path))
lock["packages"]["rbgreet"] = {"name": "rbgreet", "version": "1.0", "file_name": wheel, "install_dir": "site",
    "sha256": sha, "package_type": "package", "imports": ["rbgreet"], "depends": [], "unvendored_tests": False}
json.dump(lock, open(lock_path, "w"))
`, join(webDir, 'dist', 'pyodide'), dir, wheel])
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
