// Learners' edits live in localStorage per block. The key carries a hash of
// the block's original code: when the author changes the lesson, the old
// edit no longer matches and the new original shows instead.

/** FNV-1a, 32 bits, over UTF-16 code units: stable and enough to tell versions apart. */
export function hashCode(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

export function editKey(lessonId: string, blockId: string, original: string): string {
  return `runblock:edit:${lessonId}:${blockId}:${hashCode(original)}`
}

function store(): Storage | null {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null // storage disabled (privacy mode, sandboxed frame)
  }
}

export function loadEdit(key: string): string | null {
  try {
    return store()?.getItem(key) ?? null
  } catch {
    return null
  }
}

export function saveEdit(key: string, text: string, original: string) {
  try {
    const s = store()
    if (!s) return
    if (text === original) s.removeItem(key)
    else s.setItem(key, text)
  } catch {
    // Quota exceeded or storage disabled: editing still works, it just isn't kept.
  }
}

export function clearEdit(key: string) {
  try {
    store()?.removeItem(key)
  } catch {
    // see saveEdit
  }
}
