// HTTP/2 streams across a reload and a SIGTERM, in a real `turnpike start` child, alone
// and with server.workers: 2: a reload never resets an open stream and new streams on
// the same session see the new config; SIGTERM sends GOAWAY, the open stream finishes,
// the process exits 0.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { after, test } from 'node:test'
import { startBackend } from './helpers/backend.js'
import { startChildGateway } from './helpers/child.js'
import { h2Request, openSession } from './helpers/h2-client.js'

const held: Array<() => void> = []
let arrived: (() => void) | null = null
const backend = await startBackend((req, res) => {
  if (req.url === '/app/slow') {
    held.push(() => { res.end('slow done') })
    arrived?.()
    return
  }
  res.end('ok ' + (req.url ?? ''))
})
after(async () => { await backend.close() })

const slowArrived = async (): Promise<void> => { await new Promise<void>((resolve) => { arrived = resolve }) }

const yaml = (workers: number, extraRoute = ''): string => `
server: { host: 127.0.0.1, port: 0, http2: true, workers: ${workers}, timeouts: { shutdown: 20s } }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: true }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: /app }, upstream: app }
${extraRoute}`

for (const workers of [1, 2]) {
  test(`workers: ${workers}: a reload leaves an open HTTP/2 stream alone; new streams on the session see the new routes`, async () => {
    const gw = await startChildGateway(yaml(workers))
    try {
      const session = await openSession(gw.url)
      const arriving = slowArrived()
      const slow = h2Request(session, { ':method': 'GET', ':path': '/app/slow' })
      await arriving
      assert.equal((await h2Request(session, { ':method': 'GET', ':path': '/new' })).status, 404)
      await writeFile(gw.file, yaml(workers, '  - { name: new, match: { path: /new }, upstream: app }'))
      gw.proc.kill('SIGHUP')
      await gw.waitForLog((l) => l.msg === 'config reloaded' && l.generation === 2)
      // Every worker swaps on the primary's word: ask until the new route answers (bounded).
      let status = 0
      for (let i = 0; i < 50 && status !== 200; i++) status = (await h2Request(session, { ':method': 'GET', ':path': '/new' })).status
      assert.equal(status, 200)
      for (const release of held.splice(0)) release()
      const answer = await slow
      assert.equal(answer.status, 200)
      assert.equal(answer.body, 'slow done')
      const line = await gw.waitForLog((l) => l.msg === 'access' && l.path === '/app/slow')
      assert.equal(line.protocol, 'h2')
      session.close()
    } finally {
      await gw.close()
    }
  })

  test(`workers: ${workers}: SIGTERM sends GOAWAY, the open stream finishes, exit 0`, async () => {
    const gw = await startChildGateway(yaml(workers))
    try {
      const session = await openSession(gw.url)
      const goaway = once(session, 'goaway')
      const arriving = slowArrived()
      const slow = h2Request(session, { ':method': 'GET', ':path': '/app/slow' })
      await arriving
      gw.proc.kill('SIGTERM')
      await goaway
      for (const release of held.splice(0)) release()
      const answer = await slow
      assert.equal(answer.status, 200)
      assert.equal(answer.body, 'slow done')
      assert.equal(await gw.exited, 0)
    } finally {
      await gw.close()
    }
  })
}
