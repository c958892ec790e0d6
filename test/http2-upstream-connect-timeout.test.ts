// An HTTP/2 upstream (`protocol: h2c`) that takes the TCP connection and never speaks
// HTTP/2 (no SETTINGS): past `pool.connectTimeout` the client gets 504, as for an
// HTTP/1.1 target that cannot be reached in time, not a 502 for a reset.
import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { after, test } from 'node:test'
import { request } from 'undici'
import { startGateway } from './helpers/gateway.js'

const sockets = new Set<Socket>()
const silent = createServer((socket) => { sockets.add(socket.on('close', () => sockets.delete(socket)).on('error', () => undefined)) })
await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: t }
logging: { level: error, accessLog: false }
upstreams:
  h2: { protocol: h2c, targets: [{ url: http://127.0.0.1:${(silent.address() as AddressInfo).port} }], pool: { connectTimeout: 200ms } }
routes:
  - { name: plain, match: { path: / }, upstream: h2 }
`)
after(async () => {
  await gw.close()
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => { silent.close(() => { resolve() }) })
})

test('an h2c target that never sends SETTINGS within connectTimeout: 504 TURNPIKE_GATEWAY_TIMEOUT', async () => {
  const res = await request(`${gw.url}/a`)
  const body = await res.body.text()
  assert.equal(res.statusCode, 504, body)
  assert.match(body, /TURNPIKE_GATEWAY_TIMEOUT/)
})
