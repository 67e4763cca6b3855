// Copies the pinned pyodide runtime from node_modules into dist/pyodide/ so
// it is served from our own origin (no CDN). The Pyodide worker of a later
// issue loads it from there; its version must match the npm package exactly.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const web = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(web, 'node_modules', 'pyodide')
const dist = join(web, 'dist')
const out = join(dist, 'pyodide')

// package.json carries the Pyodide version GET /environments reports
// (314's pyodide-lock.json no longer has it).
const required = ['pyodide.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json', 'package.json']
const oneOf = ['pyodide.asm.mjs', 'pyodide.asm.js']

mkdirSync(out, { recursive: true })
const copied = []
for (const f of required) {
  if (!existsSync(join(src, f))) throw new Error(`pyodide runtime file missing: ${f} (run npm ci)`)
  copyFileSync(join(src, f), join(out, f))
  copied.push(f)
}
const asm = oneOf.find((f) => existsSync(join(src, f)))
if (!asm) throw new Error(`pyodide runtime file missing: one of ${oneOf.join(', ')}`)
copyFileSync(join(src, asm), join(out, asm))
copied.push(asm)

// Build check: every runtime file Pyodide's loaders name must be served,
// and the worker must import the loader from there. A missing one would
// only show up as a 404 in a learner's browser (and a silent fall back to
// the server).
const named = new Set()
for (const f of ['pyodide.mjs', asm]) {
  const text = readFileSync(join(out, f), 'utf8')
  for (const m of text.matchAll(/["'`]([A-Za-z0-9_.-]+\.(?:wasm|zip|json|mjs|js|whl|tar|data|so))["'`]/g)) named.add(m[1])
}
const missing = [...named].filter((f) => !existsSync(join(out, f)))
if (missing.length) throw new Error(`dist/pyodide lacks files Pyodide loads: ${missing.join(', ')}`)
const assets = join(dist, 'assets')
const worker = existsSync(assets) && readdirSync(assets).find((f) => /^pyodide\.worker-.*\.js$/.test(f))
if (!worker) throw new Error('dist/assets has no pyodide.worker-*.js: the Vite build did not emit the Pyodide worker')
if (!readFileSync(join(assets, worker), 'utf8').includes('pyodide.mjs')) throw new Error(`${worker} does not load pyodide.mjs`)

const version = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')).version
// Vite empties dist on each build; the Go embed needs dist/ to exist even before a build.
writeFileSync(join(dist, '.keep'), '')
console.log(`pyodide ${version}: copied ${copied.join(', ')} to dist/pyodide/; checked ${[...named].sort().join(', ')} and ${worker}`)
