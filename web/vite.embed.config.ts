import { defineConfig } from 'vite'

// embed.js: a second build into the same dist, after the page's. No React:
// the custom element, the runner core and the stylesheet; CodeMirror and
// the grammars are chunks loaded on demand, found relative to embed.js
// (base './'), so a host page on another origin loads them from us.
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    sourcemap: false,
    target: 'es2022',
    modulePreload: false,
    copyPublicDir: false,
    rollupOptions: {
      input: { embed: 'src/embed/index.ts' },
      preserveEntrySignatures: 'exports-only',
      output: {
        entryFileNames: 'embed.js',
        chunkFileNames: 'embed-assets/[name]-[hash].js',
        assetFileNames: 'embed-assets/[name]-[hash][extname]',
      },
    },
  },
})
