// node:http + an undici Pool, headers copied and nothing else: see ../floor-proxy.ts.
import { startNodeChild } from '../node-child.js'
import { checkProxies } from './check.js'
import type { Target } from './types.js'

export const floorTarget: Target = {
  name: 'floor',
  about: 'node:http + undici Pool.stream, headers copied (hop-by-hop dropped), prefix /api stripped, one request header set',
  unavailable: () => null,
  async start (ctx) {
    const running = await startNodeChild(ctx.procs, {
      name: 'floor-proxy',
      root: ctx.root,
      script: 'bench/floor-proxy.ts',
      args: ['--upstream', ctx.backendUrl],
      cpu: ctx.proxyCpu,
      path: '/api/hello'
    })
    try {
      await checkProxies('floor', running.url)
    } catch (err) {
      await running.stop()
      throw err
    }
    return running
  }
}
