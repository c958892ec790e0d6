// A route's header edits, compiled once: `remove` takes a header out whether the client
// sent it or the gateway set it, `set` wins over both, and hop-by-hop headers never cross.
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { test } from 'node:test'
import { clientResponseHeaders, compileHeaderEdit, upstreamRequestHeaders, type ForwardingFacts } from '../src/proxy/headers.js'
import { OVERRIDE_HEADERS } from '../src/routing/compiled-route.js'

const facts: ForwardingFacts = {
  peer: '127.0.0.1', peerTrusted: false, clientIp: '127.0.0.1', proto: 'http', forwardedHost: 'gw.test', requestId: 'id-1', upstreamHost: 'app:8080'
}

function incoming (headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage
}

test('on the way upstream: a removed header goes whether the client sent it or the gateway set it', () => {
  const edit = compileHeaderEdit({ set: { 'X-Gateway': 'turnpike', 'x-forwarded-proto': 'https' }, remove: ['X-Internal', 'x-real-ip'] }, 'upstream', OVERRIDE_HEADERS)
  const out = upstreamRequestHeaders(incoming({
    'x-internal': 'secret', 'x-keep': 'yes', 'x-gateway': 'client', 'x-http-method-override': 'DELETE', connection: 'x-hop', 'x-hop': '1', te: 'trailers', 'proxy-authorization': 'x'
  }), facts, edit)
  assert.deepEqual(out, {
    'x-keep': 'yes',
    host: 'app:8080',
    'x-forwarded-for': '127.0.0.1',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'gw.test',
    'x-request-id': 'id-1',
    'x-gateway': 'turnpike'
  })
})

test('back to the client: removed and hop-by-hop headers are not copied, set ones win', () => {
  const edit = compileHeaderEdit({ set: { 'x-served-by': 'turnpike' }, remove: ['Server'] }, 'client')
  const out = clientResponseHeaders({ server: 'nginx', 'x-served-by': 'app', 'content-type': 'text/plain', connection: 'keep-alive', 'keep-alive': 'timeout=5', 'x-request-id': 'theirs' }, edit)
  assert.deepEqual(out, { 'x-served-by': 'turnpike', 'content-type': 'text/plain', 'x-request-id': 'theirs' })
})
