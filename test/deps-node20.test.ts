// Node 20.19 is supported (package.json engines): no installed package may want a newer
// Node, or `npm ci` warns EBADENGINE and the package may use what 20 lacks. cookie@2 and
// content-disposition@3 want Node 22; package.json `overrides` pins the versions before
// them, and the last two tests check that what uses them still works.
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import Fastify from 'fastify'
import fastifyStatic from '@fastify/static'
import semver from 'semver'
import { ROOT } from './helpers/child.js'

const OLDEST_NODE = '20.19.0'

interface LockedPackage { version?: string, engines?: Record<string, string> | string[], dev?: boolean }

test(`every package in package-lock.json runs on Node ${OLDEST_NODE}`, () => {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockedPackage> }
  const excluded: string[] = []
  for (const [where, pkg] of Object.entries(lock.packages)) {
    const range = Array.isArray(pkg.engines) ? undefined : pkg.engines?.node
    if (range === undefined) continue
    if (!semver.satisfies(OLDEST_NODE, range)) excluded.push(`${where === '' ? 'turnpike' : where}@${pkg.version ?? ''} wants node ${range}`)
  }
  assert.deepEqual(excluded, [])
  const own = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
  assert.ok(semver.satisfies(OLDEST_NODE, own.engines.node), own.engines.node)
})

test('light-my-request with the pinned cookie: fastify.inject still reads Set-Cookie', async () => {
  const app = Fastify()
  app.get('/', async (_req, reply) => {
    void reply.header('set-cookie', ['session=a%20b; Path=/; HttpOnly', 'theme=dark'])
    return 'ok'
  })
  const res = await app.inject({ url: '/', cookies: { sent: 'x y' } })
  assert.deepEqual(res.cookies.map((c) => [c.name, c.value]), [['session', 'a b'], ['theme', 'dark']])
  await app.close()
})

test('@fastify/static with the pinned content-disposition: reply.download names the file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-static-'))
  await writeFile(path.join(dir, 'report 2026.txt'), 'hello')
  await writeFile(path.join(dir, 'résumé.txt'), 'bonjour')
  const app = Fastify()
  await app.register(fastifyStatic, { root: dir, serve: false })
  app.get('/plain', async (_req, reply) => await reply.download('report 2026.txt'))
  app.get('/unicode', async (_req, reply) => await reply.download('résumé.txt'))
  try {
    const plain = await app.inject({ url: '/plain' })
    assert.equal(plain.headers['content-disposition'], 'attachment; filename="report 2026.txt"')
    assert.equal(plain.body, 'hello')
    const unicode = await app.inject({ url: '/unicode' })
    assert.equal(unicode.headers['content-disposition'], 'attachment; filename="r?sum?.txt"; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.txt')
  } finally {
    await app.close()
    await rm(dir, { recursive: true, force: true })
  }
})
