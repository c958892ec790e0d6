// fastify + @fastify/http-proxy with nothing else: see ../bare-proxy.ts.
import { startNodeChild } from '../node-child.js'
import { checkProxies } from './check.js'
import type { Target } from './types.js'

export const bareTarget: Target = {
  name: 'bare',
  about: 'fastify 5 + @fastify/http-proxy, logger off, prefix /api, one request header set',
  unavailable: () => null,
  async start (ctx) {
    const running = await startNodeChild(ctx.procs, {
      name: 'bare-proxy',
      root: ctx.root,
      script: 'bench/bare-proxy.ts',
      args: ['--upstream', ctx.backendUrl],
      cpu: ctx.proxyCpu,
      path: '/api/hello'
    })
    try {
      await checkProxies('bare', running.url)
    } catch (err) {
      await running.stop()
      throw err
    }
    return running
  }
}
