import { describe, expect, it } from 'vitest'
import { fetchBrowserEnvironment, wantsBrowser } from './page'

const answer = (body: unknown, status = 200) => async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

describe('page runner setup', () => {
  it("reads the pyodide entry of GET /environments: availability and package names without versions", async () => {
    const env = await fetchBrowserEnvironment(answer({
      environments: [
        { id: 'pyodide', available: true, packages: ['numpy==2.4.6', 'six==1.17.0'], limits: { output_chars: 5000, timeout_seconds: 20 } },
        { id: 'server', available: true, packages: ['pandas==2.2.3'] },
      ],
    }))
    expect(env).toEqual({ available: true, packages: ['numpy', 'six'] })
    expect(await fetchBrowserEnvironment(answer({ environments: [{ id: 'pyodide', available: false, packages: [] }] }))).toMatchObject({ available: false })
    expect(await fetchBrowserEnvironment(answer({ error: 'nope' }, 500))).toBeNull()
    expect(await fetchBrowserEnvironment(answer({ environments: [] }))).toBeNull()
  })

  it('loads Python only for lessons with a block that may run in the browser', () => {
    expect(wantsBrowser([{ language: 'python', environment: 'auto' }])).toBe(true)
    expect(wantsBrowser([{ language: 'python', environment: 'pyodide' }])).toBe(true)
    expect(wantsBrowser([{ language: 'python', environment: 'server' }, { language: 'c', environment: 'auto' }])).toBe(false)
    expect(wantsBrowser([{ language: 'python', environment: 'docker' }, { language: 'python', environment: 'ros2' }])).toBe(false)
    expect(wantsBrowser([])).toBe(false)
  })
})
