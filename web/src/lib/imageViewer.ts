import { imageFileName, imageURL, type RunImage } from '../runner/image'

// Click-to-enlarge for a figure: a modal dialog in plain DOM, so the React
// terminal and the embed's (React-free) terminal share it. The native
// <dialog> gives the modal behaviour (inert page, Esc, top layer); focus
// goes back to what opened it.

export interface ViewerOptions {
  /** Where the dialog is attached: document.body, or the embed's shadow root. */
  root: Node & ParentNode
  /** Focused again when the dialog closes. */
  opener?: HTMLElement | null
  n?: number
}

export function openImageViewer(img: RunImage, opts: ViewerOptions): HTMLDialogElement {
  const doc = (opts.root as Node).ownerDocument ?? document
  const d = doc.createElement('dialog')
  d.className = 'rb-viewer'
  d.setAttribute('aria-label', img.alt)
  const figure = doc.createElement('figure')
  const im = doc.createElement('img')
  im.src = imageURL(img)
  im.alt = img.alt
  const cap = doc.createElement('figcaption')
  cap.textContent = img.alt
  figure.append(im, cap)
  const bar = doc.createElement('div')
  bar.className = 'rb-viewer-bar'
  const dl = downloadLink(doc, img, opts.n ?? 1)
  const close = doc.createElement('button')
  close.type = 'button'
  close.className = 'rb-btn rb-viewer-close'
  close.textContent = 'Close'
  bar.append(dl, close)
  d.append(figure, bar)
  const done = () => {
    d.remove()
    opts.opener?.focus()
  }
  close.addEventListener('click', () => (typeof d.close === 'function' ? d.close() : done()))
  d.addEventListener('close', done)
  // A click on the backdrop (the dialog box itself, outside its content) closes it.
  d.addEventListener('click', (e) => {
    if (e.target === d && typeof d.close === 'function') d.close()
  })
  d.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && typeof d.showModal !== 'function') done()
  })
  opts.root.appendChild(d)
  if (typeof d.showModal === 'function') d.showModal()
  else d.setAttribute('open', '')
  close.focus()
  return d
}

export function downloadLink(doc: Document, img: RunImage, n: number): HTMLAnchorElement {
  const a = doc.createElement('a')
  a.className = 'rb-image-download'
  a.href = imageURL(img)
  a.download = imageFileName(img, n)
  a.textContent = 'Download'
  a.setAttribute('aria-label', `Download ${img.alt}`)
  return a
}
