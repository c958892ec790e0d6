// Admin GET /: the live web dashboard, three static files under /dashboard/
// that poll GET /stats. Served by the admin server only; nothing loads from elsewhere,
// and the Content-Security-Policy holds the page to that.
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'

/**
 * The assets' folder: next to this file under tsx; from the build (dist/routes/, and tsc
 * copies no .html, .css or .js) the one in the package root's routes/.
 */
function findAssets (): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  let dir = here
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  return [path.join(here, 'dashboard'), path.join(dir, 'routes', 'dashboard')]
    .find((candidate) => existsSync(path.join(candidate, 'index.html'))) ?? path.join(here, 'dashboard')
}

export const DASHBOARD_ASSETS = findAssets()

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

export async function dashboardRoutes (app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', CSP)
    reply.header('x-content-type-options', 'nosniff')
    return payload
  })
  // wildcard: false serves exactly the files present at start, one route each.
  await app.register(fastifyStatic, { root: DASHBOARD_ASSETS, prefix: '/dashboard/', wildcard: false, index: false })
  app.get('/', async (_request, reply) => await reply.sendFile('index.html'))
}
