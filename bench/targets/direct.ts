// The backend with nothing in front: the ceiling every proxy is measured under.
import type { Target } from './types.js'

export const directTarget: Target = {
  name: 'direct',
  about: 'the backend alone (node:http, fixed ~100-byte JSON), no proxy',
  unavailable: () => null,
  start: async (ctx) => ({ url: `${ctx.backendUrl}/hello`, stop: async () => {} })
}
