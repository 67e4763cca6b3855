// Copies the pinned pyodide runtime from node_modules into dist/pyodide/ so
// it is served from our own origin (no CDN). The Pyodide worker of a later
// issue loads it from there; its version must match the npm package exactly.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const web = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(web, 'node_modules', 'pyodide')
const dist = join(web, 'dist')
const out = join(dist, 'pyodide')

const required = ['pyodide.mjs', 'pyodide.asm.wasm', 'python_stdlib.zip', 'pyodide-lock.json']
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

const version = JSON.parse(readFileSync(join(src, 'package.json'), 'utf8')).version
// Vite empties dist on each build; the Go embed needs dist/ to exist even before a build.
writeFileSync(join(dist, '.keep'), '')
console.log(`pyodide ${version}: copied ${copied.join(', ')} to dist/pyodide/`)
