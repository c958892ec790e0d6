// Regression: "SIGTERM under load drains every worker" failed now and then with a
// burst of ECONNRESET. The workers drained one after the other: the first to drain
// answered with `Connection: close`, its clients reconnected into the shared port's
// accept queue, which the primary still held open for a worker that had not closed its
// listener yet, and node:cluster reset every connection in that queue when the last
// worker closed it. Now every worker closes its listener first, and only then does any
// drain. A worker stopped with SIGSTOP at SIGTERM makes the old window as wide as we
// like: the other worker must keep serving its keep-alive clients, not send them into
// the queue, and once the stopped one resumes, no request fails. (That resumed worker
// answers its waiting clients with keep-alive and then drains with nothing in flight:
// it failed here, now and then, until a drain gave idle connections their grace,
// shutdown-keepalive-reset.test.ts.)
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { startChildGateway, type ChildGateway } from './helpers/child.js'
import { childPids } from './helpers/cluster.js'
import { startLoad } from './helpers/load.js'

let backend: Backend
let gw: ChildGateway

before(async () => {
  backend = await startBackend((_req, res) => { setTimeout(() => { res.end('ok') }, 2) })
  gw = await startChildGateway(`
server: { host: 127.0.0.1, port: 0, workers: 2, timeouts: { shutdown: 20s } }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: info, accessLog: false }
upstreams:
  app: { targets: [{ url: ${backend.url} }] }
routes:
  - { name: app, match: { path: / }, upstream: app }
`)
})

after(async () => {
  await gw.close()
  await backend.close()
})

/** Rejects with `message` if `promise` has not settled within `ms` (a bound, not a timing goal). */
async function within<T> (promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(message)) }, ms) })
  try {
    return await Promise.race([promise, bound])
  } finally {
    clearTimeout(timer)
  }
}

test('a drain with one worker stopped at SIGTERM resets no connection: no worker drains before every listener is closed', async () => {
  const [running, stopped] = childPids(gw.proc.pid as number) as [number, number]
  const load = startLoad(gw.url + '/load', { connections: 40 })
  await load.okAtLeast(1000)

  process.kill(stopped, 'SIGSTOP')
  try {
    gw.proc.kill('SIGTERM')
    await gw.waitForLog((l) => l.msg === 'draining' && l.pid === gw.proc.pid)
    // The running worker's clients keep their connections and go on being served.
    const ok = load.result.ok
    await within(load.okAtLeast(ok + 300), 15_000, 'the running worker stopped serving its keep-alive clients while the other was stopped')
    assert.ok(!gw.logs.some((l) => l.msg === 'draining' && l.pid === running), 'no worker drains while another still has its listener open')
  } finally {
    process.kill(stopped, 'SIGCONT')
  }

  const result = await load.done
  assert.deepEqual(result.failures, [], 'no request failed')
  assert.equal(await gw.exited, 0)
  for (const pid of [running, stopped]) assert.ok(gw.logs.some((l) => l.msg === 'turnpike stopped' && l.pid === pid), `worker ${pid} drained and stopped`)
})
