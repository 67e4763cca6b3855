import { afterEach } from 'vitest'
import { cleanup } from '@testing-library/react'

// Vitest runs without globals, so Testing Library cannot register its own cleanup.
afterEach(() => cleanup())

// jsdom has no layout; CodeMirror measures text ranges. Empty rectangles are enough.
const emptyRects = () => {
  const list = [] as unknown as DOMRectList
  Object.assign(list, { item: () => null })
  return list
}
if (!Range.prototype.getClientRects) Range.prototype.getClientRects = emptyRects
if (!Range.prototype.getBoundingClientRect) Range.prototype.getBoundingClientRect = () => new DOMRect()
