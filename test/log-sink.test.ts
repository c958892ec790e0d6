// The log sink when standard output is a pipe nobody reads (a stuck log collector): the
// gateway goes on, memory stays bounded, and once the pipe is read again every line is
// either there, whole, or counted in a "log lines dropped" line.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'

const CHILD = `
import { LineSink } from './src/log-sink.ts'
const sink = new LineSink()
const N = 60000
const pad = 'x'.repeat(300)
let i = 0
await new Promise((resolve) => {
  const turn = () => {
    for (let k = 0; k < 500 && i < N; k++, i++) sink.write('{"n":' + i + ',"pad":"' + pad + '"}\\n')
    if (i < N) setImmediate(turn); else resolve()
  }
  turn()
})
await new Promise((resolve) => setImmediate(resolve))
process.stderr.write(JSON.stringify({ written: N, queued: process.stdout.writableLength, rss: process.memoryUsage().rss }) + '\\n')
process.stdin.once('data', async () => {
  // The reader is back: once the queue has gone out, the next line carries the count.
  if (process.stdout.writableLength > 0) await new Promise((resolve) => process.stdout.once('drain', resolve))
  sink.write('{"last":true}\\n')
  sink.flush(() => { process.exit(0) })
})
`

test('a pipe that is not read: writes never block, the queue stays bounded, dropped lines are counted', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'pipe'] })
  child.stdout.pause() // nobody reads: the pipe fills (64 KiB), then the sink's queue
  let report = ''
  child.stderr.on('data', (d: Buffer) => { report += String(d) })
  while (!report.includes('\n')) await once(child.stderr, 'data')
  const { written, queued } = JSON.parse(report) as { written: number, queued: number }
  assert.ok(queued <= 8 * 1024 * 1024 + 4096, `queued ${queued} bytes`)

  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d: string) => { out += d })
  child.stdout.resume()
  child.stdin.write('go\n')
  const [code] = await once(child, 'exit') as [number]
  assert.equal(code, 0)
  if (!child.stdout.readableEnded) await once(child.stdout, 'end')
  const lines = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { n?: number, dropped?: number, msg?: string, last?: boolean })
  const kept = lines.filter((l) => l.n !== undefined)
  const report2 = lines.find((l) => l.msg?.startsWith('log lines dropped') === true)
  assert.ok(report2 !== undefined, `a line says how many were dropped (${report.trim()}, ${kept.length} kept of ${lines.length})`)
  assert.equal(kept.length + (report2.dropped as number), written)
  // What was kept is in order, none split or doubled.
  for (let i = 1; i < kept.length; i++) assert.ok((kept[i]?.n as number) > (kept[i - 1]?.n as number))
  assert.equal(lines.at(-1)?.last, true)
})
