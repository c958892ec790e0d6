// createGateway in this process: a config file or an inline config, started on port 0,
// reloaded, closed; a bad config rejects start() or a reload, as `turnpike start` would refuse it.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import pino from 'pino'
import { request } from 'undici'
import { ConfigError, createGateway, StartError } from '../src/index.js'
import { startBackend, type Backend } from './helpers/backend.js'

const logger = pino({ level: 'silent' })
let backend: Backend
let dir: string
before(async () => {
  backend = await startBackend()
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-library-'))
})
after(async () => {
  await backend.close()
  await rm(dir, { recursive: true, force: true })
})

const inline = (prefix: string): Record<string, unknown> => ({
  server: { host: '127.0.0.1', port: 0 },
  admin: { host: '127.0.0.1', port: 0 },
  upstreams: { app: { targets: [{ url: backend.url }] } },
  routes: [{ name: 'r', match: { path: prefix }, upstream: 'app' }]
})

async function status (port: number, path: string): Promise<number> {
  const res = await request(`http://127.0.0.1:${port}${path}`)
  await res.body.dump()
  return res.statusCode
}

test('an inline config: start, reload to a new config, a bad one refused, close', async () => {
  const gateway = createGateway({ config: inline('/one'), logger })
  await gateway.start()
  try {
    assert.equal(await status(gateway.ports.server, '/one'), 200)
    assert.equal((await gateway.reload(inline('/two'))).result, 'success')
    assert.equal(await status(gateway.ports.server, '/two'), 200)
    assert.equal(await status(gateway.ports.server, '/one'), 404)
    const refused = await gateway.reload({ ...inline('/three'), routes: [{ name: 'r', match: { path: '/three' }, upstream: 'nowhere' }] })
    assert.equal(refused.result, 'failure')
    assert.match(refused.error ?? '', /routes\.0\.upstream: unknown upstream 'nowhere'/)
    assert.equal(await status(gateway.ports.server, '/two'), 200)
  } finally {
    await gateway.close()
  }
})

test('a config file: start() rejects a bad one with its problems', async () => {
  const file = path.join(dir, 'bad.yaml')
  await writeFile(file, 'server: { port: nope }\n')
  const gateway = createGateway({ configPath: file, logger })
  await assert.rejects(gateway.start(), (err: unknown) => err instanceof ConfigError && /bad\.yaml:1:17 server\.port/.test(err.message))
})

test('a config file: started, served, reloaded from the file', async () => {
  const file = path.join(dir, 'good.yaml')
  const yaml = (prefix: string): string => `server: { host: 127.0.0.1, port: 0 }\nadmin: { host: 127.0.0.1, port: 0 }\nupstreams: { app: { targets: [{ url: "${backend.url}" }] } }\nroutes: [{ name: r, match: { path: ${prefix} }, upstream: app }]\n`
  await writeFile(file, yaml('/a'))
  const gateway = createGateway({ configPath: file, logger, watch: false })
  await gateway.start()
  try {
    assert.equal(await status(gateway.ports.server, '/a'), 200)
    await writeFile(file, yaml('/b'))
    assert.equal((await gateway.reload()).result, 'success')
    assert.equal(await status(gateway.ports.server, '/b'), 200)
  } finally {
    await gateway.close()
  }
})

test('server.workers > 1 is refused: the embedded gateway runs in the program\'s own process', async () => {
  const gateway = createGateway({ config: { ...inline('/'), server: { host: '127.0.0.1', port: 0, workers: 2 } }, logger })
  await assert.rejects(gateway.start(), StartError)
})
