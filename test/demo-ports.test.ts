// `npm run demo` checks its ports before it starts anything, and says which are taken.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import net from 'node:net'
import path from 'node:path'
import { test } from 'node:test'
import { ROOT } from './helpers/child.js'

test('the demo refuses to start when one of its ports is taken, naming it', async () => {
  // 9002 is the demo's second echo backend (examples/demo.yaml). If something else
  // holds it already, it is just as taken.
  const holder = net.createServer()
  holder.on('error', () => undefined)
  holder.listen(9002, '127.0.0.1')
  await Promise.race([once(holder, 'listening'), once(holder, 'error')])
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'examples', 'demo.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const [code] = await once(child, 'close') as [number | null]
    assert.equal(code, 1)
    assert.match(stderr, /^demo: these ports are already in use, so the demo cannot start:\n/)
    assert.match(stderr, /\n {2}127\.0\.0\.1:9002 \(echo backend b\)\n/)
    assert.match(stderr, /Is another demo or gateway running\?/)
    assert.doesNotMatch(stdout, /running|echo backends on/, 'nothing was started')
  } finally {
    await new Promise((resolve) => holder.close(resolve))
  }
})
