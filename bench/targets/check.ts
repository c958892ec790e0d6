// A proxy that answers 502 very fast would win the benchmark; so before any load,
// each target must return the backend's exact answer.
import { BACKEND_BODY } from '../backend.js'
import { get } from '../net.js'

export async function checkProxies (name: string, url: string, headers: Record<string, string> = {}): Promise<void> {
  const answer = await get(url, 2000, headers)
  if (answer.status !== 200 || answer.body !== BACKEND_BODY) {
    throw new Error(`${name}: ${url} answered ${answer.status} ${answer.body.slice(0, 200)} instead of the backend's body`)
  }
}
