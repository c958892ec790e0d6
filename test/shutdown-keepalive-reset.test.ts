// Regression: "a drain with one worker stopped at SIGTERM resets no connection" failed
// now and then with a burst of ECONNRESET (and `other side closed`) in one millisecond.
// A drain that found nothing in flight closed every connection at once, including
// keep-alive ones whose client had just had an answer and was sending its next
// request: that request met a closed socket. A connection idle when the drain begins
// now has a grace to send its next request, which is answered with `Connection:
// close`. Alone and with workers, a keep-alive client that sends its next request once
// the drain has begun, with nothing else in flight, is answered.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Client } from 'undici'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway } from './helpers/child.js'

let backend: Backend

before(async () => {
  backend = await startBackend((_req, res) => { res.end('ok') })
})

after(async () => {
  await backend.close()
})

/** GET / on the client's one connection: its status, `Connection` header and body. */
async function get (client: Client): Promise<{ status: number, connection: unknown, body: string }> {
  const res = await client.request({ method: 'GET', path: '/' })
  return { status: res.statusCode, connection: res.headers.connection, body: await res.body.text() }
}

for (const workers of [1, 2]) {
  describe(`with server.workers: ${workers}`, () => {
    test('a keep-alive client that sends its next request just after the drain began is answered, not reset', async () => {
      const gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: ${workers}, timeouts: { shutdown: 20s } }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: false }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
      const client = new Client(gw.url, { pipelining: 1 })
      try {
        assert.deepEqual(await get(client), { status: 200, connection: 'keep-alive', body: 'ok' })

        gw.proc.kill('SIGTERM')
        // The process serving our connection has begun to drain (with workers: each of them).
        const primary = gw.proc.pid
        const draining = (): number => gw.logs.filter((l) => l.msg === 'draining' && (workers === 1 || l.pid !== primary)).length
        await gw.waitForLog(() => draining() >= workers)

        assert.deepEqual(await get(client), { status: 200, connection: 'close', body: 'ok' },
          'the request sent on the idle keep-alive connection during the drain is answered, with Connection: close')
        assert.equal(await gw.exited, 0)
      } finally {
        await client.close()
        await gw.close()
      }
    })
  })
}
