// The access line the gateway writes itself (AccessLine) is the line pino writes for the
// same fields: same keys in the same order, same values, the same escaping, whatever a
// client put in its path or a token in its subject.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyRequest } from 'fastify'
import pino from 'pino'
import { AccessLine, accessFields } from '../src/access-line.js'
import { RequestContext } from '../src/proxy/context.js'
import type { Target } from '../src/upstream/target.js'
import type { ClientCertificate } from '../src/tls/client-certificate.js'

function requestOf (path: string, protocol: 'http1' | 'h2' | 'grpc', extra: (ctx: RequestContext) => void): FastifyRequest {
  const ctx = new RequestContext(path, '', 'gw.test', protocol, null)
  ctx.streamedBytes = 1234
  extra(ctx)
  return { id: 'req-"1"', method: 'GET', ip: '203.0.113.7', turnpike: ctx } as unknown as FastifyRequest
}

const cases: Array<[string, FastifyRequest]> = [
  ['a plain proxied request', requestOf('/api/hello', 'http1', (ctx) => { ctx.target = { origin: 'http://127.0.0.1:8080' } as Target })],
  ['no target (answered by the gateway)', requestOf('/x', 'h2', () => {})],
  ['quotes, backslashes, control characters and non-ASCII in path and identity', requestOf('/a"b\\c\u0001\u2028é😀', 'http1', (ctx) => {
    ctx.identity = { kind: 'jwt', id: 'user "x"\n\t' }
    ctx.clientCert = { subject: 'CN=client, O="Acme"' } as ClientCertificate
  })],
  ['a gRPC call with its status', requestOf('/pkg.Svc/Call', 'grpc', (ctx) => { ctx.grpcStatus = 14; ctx.clientIp = '::1' })]
]

for (const [name, request] of cases) {
  test(`the gateway's own access line equals pino's: ${name}`, () => {
    const viaPino: string[] = []
    const direct: string[] = []
    const root = pino({ base: { pid: process.pid } }, { write: (line: string) => { viaPino.push(line) } })
    const logger = root.child({ worker: 2 }).child({ route: 'r "1"', upstream: 'app' })
    logger.info(accessFields(request, 503, 0.0012345), 'access')
    new AccessLine({ write: (line: string) => { direct.push(line) } }, logger).write(request, 503, 0.0012345)
    assert.equal(direct.length, 1)
    const withoutTime = (line: string): string => line.replace(/"time":\d+,/, '"time":0,')
    assert.equal(withoutTime(direct[0] as string), withoutTime(viaPino[0] as string))
    assert.ok((direct[0] as string).endsWith('\n'))
  })
}

test('the gateway\'s own access line is not written when the logger\'s level is above info', () => {
  const direct: string[] = []
  const logger = pino({ level: 'warn' }, { write: () => {} })
  const request = cases[0]?.[1] as FastifyRequest
  new AccessLine({ write: (line: string) => { direct.push(line) } }, logger).write(request, 200, 0.001)
  assert.deepEqual(direct, [])
})
