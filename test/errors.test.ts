// Clients and dashboards match on these codes and statuses: changing one is a
// breaking change, so this test makes it a deliberate one. The codes are read from the
// error classes themselves (src/errors.ts), so there is no second list to keep.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import * as errors from '../src/errors.js'
import { ROOT } from './helpers/child.js'
import { BASE, startGateway } from './helpers/gateway.js'
import { rawRequest } from './helpers/raw.js'

type Made = { code: string, statusCode: number }
const made = Object.entries(errors).map(([name, E]) => [name, new (E as new (...a: unknown[]) => Made)('x', 'y')] as const)

test('every error keeps its code and status', () => {
  assert.deepEqual(Object.fromEntries(made.map(([name, e]) => [name, [e.code, e.statusCode]])), {
    AdminBadCidrError: ['TURNPIKE_ADMIN_BAD_CIDR', 400],
    AdminForbiddenError: ['TURNPIKE_ADMIN_FORBIDDEN', 403],
    AdminUnauthorizedError: ['TURNPIKE_ADMIN_UNAUTHORIZED', 401],
    AdminUnknownListError: ['TURNPIKE_ADMIN_UNKNOWN_LIST', 404],
    BadGatewayError: ['TURNPIKE_BAD_GATEWAY', 502],
    BadPathError: ['TURNPIKE_BAD_PATH', 400],
    BadRequestError: ['TURNPIKE_BAD_REQUEST', 400],
    BodyTooLargeError: ['TURNPIKE_BODY_TOO_LARGE', 413],
    CircuitOpenError: ['TURNPIKE_CIRCUIT_OPEN', 503],
    DdosBlockedError: ['TURNPIKE_DDOS_BLOCKED', 429],
    GatewayFullError: ['TURNPIKE_GATEWAY_FULL', 503],
    GatewayTimeoutError: ['TURNPIKE_GATEWAY_TIMEOUT', 504],
    HeadersTooLargeError: ['TURNPIKE_HEADERS_TOO_LARGE', 431],
    InternalError: ['TURNPIKE_INTERNAL', 500],
    IpDeniedError: ['TURNPIKE_IP_DENIED', 403],
    MethodNotAllowedError: ['TURNPIKE_METHOD_NOT_ALLOWED', 405],
    NoHealthyTargetError: ['TURNPIKE_NO_HEALTHY_TARGET', 503],
    NoRouteError: ['TURNPIKE_NO_ROUTE', 404],
    PluginError: ['TURNPIKE_PLUGIN_ERROR', 500],
    RateLimitedError: ['TURNPIKE_RATE_LIMITED', 429],
    RequestTimeoutError: ['TURNPIKE_REQUEST_TIMEOUT', 408],
    TooManyConnectionsError: ['TURNPIKE_TOO_MANY_CONNECTIONS', 429],
    UnauthorizedError: ['TURNPIKE_UNAUTHORIZED', 401],
    UpgradeRequiredError: ['TURNPIKE_UPGRADE_REQUIRED', 426],
    UpstreamOverloadedError: ['TURNPIKE_UPSTREAM_OVERLOADED', 503],
    UriTooLongError: ['TURNPIKE_URI_TOO_LONG', 414],
    VersionNotSupportedError: ['TURNPIKE_HTTP_VERSION_NOT_SUPPORTED', 505]
  })
  assert.equal(new Set(made.map(([, e]) => e.code)).size, made.length, 'no two errors share a code')
})

function sources (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return sources(full)
    return name.endsWith('.ts') ? [full] : []
  })
}

test('no dead errors: each one is used by the gateway outside the catalogue', () => {
  const code = ['src', 'plugins', 'routes'].flatMap((d) => sources(path.join(ROOT, d)))
    .filter((file) => file !== path.join(ROOT, 'src', 'errors.ts'))
    .map((file) => readFileSync(file, 'utf8')).join('\n')
  const unused = made.map(([name]) => name).filter((name) => !new RegExp(`\\bnew ${name}\\(`).test(code))
  assert.deepEqual(unused, [])
})

test('the data plane, the admin server and a raw socket answer errors in one shape', async (t) => {
  const gw = await startGateway(`${BASE}routes: []\n`)
  t.after(async () => { await gw.close() })
  const routed = await fetch(`${gw.url}/nowhere`)
  const data = await routed.json() as Record<string, unknown>
  assert.deepEqual(data, { statusCode: 404, error: 'Not Found', code: 'TURNPIKE_NO_ROUTE', message: 'No route for GET /nowhere', requestId: routed.headers.get('x-request-id') })
  const admin = await fetch(`${gw.adminUrl}/reload`, { method: 'POST' })
  const adminBody = await admin.json() as Record<string, unknown>
  assert.deepEqual(adminBody, { statusCode: 401, error: 'Unauthorized', code: 'TURNPIKE_ADMIN_UNAUTHORIZED', message: 'A valid admin bearer token is required', requestId: adminBody.requestId })
  assert.equal(typeof adminBody.requestId, 'string')
  // Nothing was parsed, so there is no request id to give.
  const raw = await rawRequest(gw.port, 'GET / HTTP/1.1\r\nHost: gw.test\r\nBad Header\r\n\r\n')
  assert.equal(raw.status, 400)
  assert.deepEqual(JSON.parse(raw.body), { statusCode: 400, error: 'Bad Request', code: 'TURNPIKE_BAD_REQUEST', message: 'Malformed HTTP request' })
})
