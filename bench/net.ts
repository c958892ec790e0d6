// Small network helpers shared by the targets.
import { createServer } from 'node:net'

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * A port that was free a moment ago. Racy in principle, but only our own children
 * bind ports on this machine during a run, and nginx cannot be told to use port 0.
 */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      srv.close(() => resolve(port))
    })
  })
}

export interface HttpAnswer { status: number, body: string }

export async function get (url: string, timeoutMs = 2000, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers })
  return { status: res.status, body: await res.text() }
}

/**
 * Polls `url` until it answers 200. `alive` lets a crashed process fail fast
 * instead of after the whole timeout.
 */
export async function waitFor200 (url: string, timeoutMs: number, alive: () => boolean = () => true): Promise<HttpAnswer> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer'
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`process exited while waiting for ${url} (last: ${last})`)
    try {
      const answer = await get(url, 1000)
      if (answer.status === 200) return answer
      last = `HTTP ${answer.status}`
    } catch (err) {
      last = err instanceof Error ? err.message : String(err)
    }
    await sleep(100)
  }
  throw new Error(`${url} not 200 after ${timeoutMs}ms (last: ${last})`)
}
