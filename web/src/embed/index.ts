import { configureEmbed, RunblockCode } from './element'

// embed.js: one script tag makes a page's code blocks runnable.
//   <script type="module" src="https://runblock.example/embed.js"></script>
//   <runblock-code language="python">print("hi")</runblock-code>
//   <pre><code class="language-python" data-runblock>print("hi")</code></pre>
// The API is the origin that served this script.

configureEmbed({ apiBase: `${new URL(import.meta.url).origin}/api/v1/code` })

if (!customElements.get('runblock-code')) customElements.define('runblock-code', RunblockCode)

const selector = 'pre[data-runblock] > code, pre > code[data-runblock]'

/** Replaces marked <pre><code class="language-…"> blocks under root with <runblock-code>. */
export function upgrade(root: ParentNode = document): number {
  let n = 0
  for (const code of root.querySelectorAll<HTMLElement>(selector)) {
    const pre = code.parentElement!
    const lang = /(?:^|\s)(?:language|lang)-([\w+-]+)/.exec(`${code.className} ${pre.className}`)?.[1]
    if (!lang) continue
    const el = document.createElement('runblock-code')
    el.setAttribute('language', lang)
    for (const src of [pre, code]) {
      for (const a of ['data-token', 'title', 'timeout', 'editor', 'credentials']) {
        const v = src.getAttribute(a)
        if (v !== null) el.setAttribute(a, v)
      }
    }
    el.textContent = code.textContent ?? ''
    pre.replaceWith(el)
    n++
  }
  return n
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => upgrade(), { once: true })
else upgrade()

;(globalThis as { runblock?: unknown }).runblock = { upgrade }
