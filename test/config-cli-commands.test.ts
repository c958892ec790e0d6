// `turnpike validate` and `turnpike hash-key`, run in-process through their run().
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { run as validate } from '../src/cli/validate.js'
import { run as hashKey } from '../src/cli/hash-key.js'
import type { CommandIo } from '../src/cli/command-io.js'

function capture (stdin = ''): { io: CommandIo, out: () => string, err: () => string } {
  let out = ''
  let err = ''
  const io: CommandIo = {
    stdout: { write: (s: string) => { out += s } },
    stderr: { write: (s: string) => { err += s } },
    stdin: Readable.from([Buffer.from(stdin)]),
    env: {}
  }
  return { io, out: () => out, err: () => err }
}

async function configFile (text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-cli-'))
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, text)
  return file
}

test('validate: a valid file prints a one-line summary, exit 0', async () => {
  const file = await configFile('upstreams:\n  u: { targets: [{ url: "http://h" }] }\nroutes:\n  - { name: r, match: { path: / }, upstream: u }\n')
  const c = capture()
  assert.equal(await validate([file], c.io), 0)
  assert.equal(c.out(), `${file}: valid (1 routes, 1 upstreams)\n`)
  assert.equal(c.err(), '')
})

test('validate: every problem on stderr as FILE:LINE:COL path: message, exit 1', async () => {
  const file = await configFile('server:\n  port: x\nroutes:\n  - { name: r, match: { path: / }, upstream: nope }\n')
  const c = capture()
  assert.equal(await validate([file], c.io), 1)
  assert.equal(c.out(), '')
  assert.deepEqual(c.err().trimEnd().split('\n'), [
    `${file}:2:9 server.port: expected an integer from 0 to 65535, got 'x'`,
    `${file}:4:46 routes.0.upstream: unknown upstream 'nope' (no upstreams are defined)`
  ])
})

test('validate: a missing file is exit 1 with the reason', async () => {
  const c = capture()
  assert.equal(await validate(['/nonexistent/gateway.yaml'], c.io), 1)
  assert.equal(c.err(), '/nonexistent/gateway.yaml:1:1: cannot read the config file (no such file)\n')
})

test('validate: usage errors are exit 2', async () => {
  for (const argv of [[], ['a.yaml', 'b.yaml'], ['--bogus']]) {
    const c = capture()
    assert.equal(await validate(argv, c.io), 2, JSON.stringify(argv))
    assert.match(c.err(), /^usage: turnpike validate FILE/)
  }
})

test('hash-key prints the SHA-256 hex of the key', async () => {
  const c = capture()
  assert.equal(await hashKey(['abc'], c.io), 0)
  // The FIPS 180-2 test vector for "abc".
  assert.equal(c.out(), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n')
  assert.equal(c.err(), '')
})

test('hash-key - reads the key from stdin, less the trailing newline', async () => {
  const c = capture('s3cret\n')
  assert.equal(await hashKey(['-'], c.io), 0)
  assert.equal(c.out(), createHash('sha256').update('s3cret').digest('hex') + '\n')
})

test('hash-key without a key is a usage error, exit 2', async () => {
  const c = capture()
  assert.equal(await hashKey([], c.io), 2)
  assert.match(c.err(), /^usage: turnpike hash-key KEY/)
  assert.equal(c.out(), '')
})
