// Images a run produced (matplotlib figures): what the runner core accepts
// from the wire, and how a renderer turns one into a URL. Only raster types a
// browser decodes without running anything are accepted; SVG could carry
// script or external references, so it is not.

export interface RunImage {
  mime: string
  /** Base64 of the image bytes. */
  data: string
  alt: string
}

export const imageTypes: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
}

const base64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Validates an image event's fields; null for anything else. */
export function parseImage(ev: Record<string, unknown>): RunImage | null {
  const mime = typeof ev.mime === 'string' ? ev.mime.toLowerCase() : ''
  const data = typeof ev.data === 'string' ? ev.data.replace(/\s+/g, '') : ''
  if (!(mime in imageTypes) || data === '' || !base64.test(data)) return null
  const alt = typeof ev.alt === 'string' && ev.alt.trim() !== '' ? ev.alt.trim() : 'Figure'
  return { mime, data, alt }
}

export function imageURL(img: RunImage): string {
  return `data:${img.mime};base64,${img.data}`
}

/** A file name for the download link: the alt text made safe, and the type's extension. */
export function imageFileName(img: RunImage, n: number): string {
  const stem = img.alt.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || `figure-${n}`
  return `${stem}.${imageTypes[img.mime] ?? 'png'}`
}
