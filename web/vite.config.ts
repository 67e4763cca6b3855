/// <reference types="vitest/config" />
import { defineConfig } from 'vite'

// No React plugin: oxc compiles the JSX (automatic runtime). Fast refresh is
// not needed for a page this size, and the plugin drags in a newer Vite.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  optimizeDeps: { exclude: ['pyodide'] },
  // Pyodide 314 refuses classic workers: the worker is bundled as a module.
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    // scripts/copy-pyodide.mjs puts back the dist/.keep placeholder the Go embed needs.
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    // React + CodeMirror are one ~570 KB (180 KB gzip) chunk; the budget that
    // matters is gzip before the first Run, checked by `npm run measure`.
    chunkSizeWarningLimit: 700,
  },
  server: {
    proxy: { '/api': process.env.RUNBLOCK_URL ?? 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    // The embed inlines the page stylesheet (?inline); its tests check it is there.
    css: { include: [/styles\.css/] },
  },
})
