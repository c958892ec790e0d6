// The gRPC replay body on its own: a copy of a body that ended within 64 KiB, read as it
// arrives; past 64 KiB no copy and the source read only as fast as it is taken; the
// body limit holds; an attempt that stops reading leaves the copy growing to the end.
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { BodyLimitExceeded } from '../src/proxy/body-faults.js'
import { ReplayBody } from '../src/proxy/replay-body.js'

const source = (): PassThrough => new PassThrough({ highWaterMark: 1024 })
const asReq = (s: PassThrough): IncomingMessage => s as unknown as IncomingMessage
const turn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

async function readAll (body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk)
  return Buffer.concat(chunks)
}

test('a body that ends within 64 KiB is read as it arrives, streamed, and can be replayed', async () => {
  const s = source()
  const body = new ReplayBody(asReq(s), 1 << 20)
  s.write(Buffer.alloc(40_000, 1))
  s.end(Buffer.alloc(20_000, 2))
  await turn()
  assert.equal(body.complete, true, 'complete before anything was taken')
  const streamed = await readAll(body)
  assert.equal(streamed.length, 60_000)
  assert.deepEqual(body.replay(), streamed)
})

test('past 64 KiB: no copy, and the source waits for the reader', async () => {
  const s = source()
  const body = new ReplayBody(asReq(s), 1 << 20)
  for (let i = 0; i < 100; i++) s.write(Buffer.alloc(1000, i))
  await turn()
  assert.equal(s.isPaused(), true, 'paused with more than 64 KiB waiting')
  s.end()
  const streamed = await readAll(body)
  assert.equal(streamed.length, 100_000)
  assert.equal(streamed[99_999], 99)
  assert.equal(body.complete, false)
})

test('an attempt that stops reading: the copy still completes; abandoned, the source drains', async () => {
  const s = source()
  const body = new ReplayBody(asReq(s), 1 << 20)
  const it = body[Symbol.asyncIterator]()
  s.write('ab')
  assert.equal(String((await it.next()).value), 'ab')
  await it.return?.()
  s.end('cd')
  await turn()
  assert.equal(body.complete, true)
  assert.equal(String(body.replay()), 'abcd')

  const t = source()
  const dropped = new ReplayBody(asReq(t), 1 << 20)
  dropped.abandon()
  for (let i = 0; i < 100; i++) t.write(Buffer.alloc(1000))
  await turn()
  assert.equal(t.isPaused(), false)
  assert.equal(dropped.complete, false)
})

test('the body limit holds: the reader gets BodyLimitExceeded', async () => {
  const s = source()
  const body = new ReplayBody(asReq(s), 5000)
  s.write(Buffer.alloc(3000))
  s.end(Buffer.alloc(3000))
  await assert.rejects(readAll(body), BodyLimitExceeded)
  assert.equal(body.complete, false)
})
