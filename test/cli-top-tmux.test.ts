// `turnpike top` live, in a real terminal: a detached tmux session (Debian `tmux`) runs
// the dist CLI against a stand-in admin server; the test reads the screen with
// capture-pane, changes the stats, presses keys, and checks the terminal is given back.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, test, type TestContext } from 'node:test'
import { setTimeout as pause } from 'node:timers/promises'
import { CLI } from './helpers/child.js'
import { sampleStats, startFakeAdmin, type FakeAdmin } from './helpers/top-stats.js'
import type { GatewayStats } from '../src/stats/types.js'

// A server socket of our own (-S, like -L but in a directory we remove afterwards):
// never touches a tmux server someone else is using, and leaves no socket file behind.
const DIR = mkdtempSync(path.join(os.tmpdir(), 'turnpike-top-tmux-'))
const SOCKET = path.join(DIR, 'tmux.sock')
after(() => {
  spawnSync('tmux', ['-S', SOCKET, 'kill-server'])
  rmSync(DIR, { recursive: true, force: true })
})
const EXITED = 'top exited with'
/** The shell's line after top: canonical input and echo on again (`-icanon` if raw mode stayed). */
const MODES = /^-?icanon -?echo$/m

function tmux (...args: string[]): string {
  const result = spawnSync('tmux', ['-S', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm-256color' } })
  assert.equal(result.status, 0, `tmux ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

/**
 * Runs `turnpike top ARGS` in a fresh 120×40 session. After top ends, the pane's shell
 * prints the exit code and the terminal modes that raw mode would have switched off.
 */
function startTop (t: TestContext, session: string, args: string, env: Record<string, string> = {}): void {
  t.after(() => { spawnSync('tmux', ['-S', SOCKET, 'kill-session', '-t', session]) })
  const after = `echo "${EXITED} $?"; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo; exec sleep 600`
  const vars = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
  tmux('new-session', '-d', '-s', session, ...vars, '-x', '120', '-y', '40', `'${process.execPath}' '${CLI}' top ${args}; ${after}`)
}

/** The screen once `ready` holds for it; polls capture-pane for at most 30s. */
async function screenWhen (session: string, ready: (screen: string) => boolean, what: string): Promise<string> {
  let screen = ''
  for (let i = 0; i < 300; i++) {
    screen = tmux('capture-pane', '-p', '-t', session)
    if (ready(screen)) return screen
    await pause(100)
  }
  assert.fail(`the screen never showed ${what}:\n${screen}`)
}

const rowWith = (screen: string, needle: string): string => screen.split('\n').find((l) => l.includes(needle)) ?? ''

function withTarget1 (stats: GatewayStats, change: { healthy: boolean }): GatewayStats {
  const [first, ...rest] = stats.upstreams.orders!.targets
  return { ...stats, upstreams: { orders: { balancer: 'round-robin', targets: [{ ...first!, ...change }, ...rest] } } }
}

async function fakeAdmin (t: TestContext): Promise<FakeAdmin> {
  const admin = await startFakeAdmin()
  t.after(async () => { await admin.close() })
  return admin
}

test('live: follows the stats, shows admin errors and keeps going, redraws on resize, q gives the terminal back', async (t) => {
  const admin = await fakeAdmin(t)
  startTop(t, 'live', `--admin ${admin.url} --interval 200ms`)

  await screenWhen('live', (s) => s.includes('orders-api') && /http:\/\/orders-1\.internal:8080\s+UP/.test(s), 'a route and target 1 UP')
  assert.equal(tmux('display', '-p', '-t', 'live', '#{alternate_on} #{cursor_flag}').trim(), '1 0', 'alternate screen, cursor hidden')
  assert.ok(tmux('capture-pane', '-p', '-e', '-t', 'live').includes('\x1b[32mUP'), 'UP in green')

  admin.answer = { status: 200, stats: withTarget1(sampleStats(), { healthy: false }) }
  await screenWhen('live', (s) => /http:\/\/orders-1\.internal:8080\s+DOWN/.test(s), 'target 1 DOWN')

  admin.answer = { status: 503, body: JSON.stringify({ message: 'draining' }) }
  const failing = await screenWhen('live', (s) => s.includes('GET /stats answered 503: draining'), 'the admin error')
  assert.ok(failing.includes('orders-api'), 'the last stats stay on screen')
  assert.match(rowWith(failing, 'answered 503'), /showing data from .* retrying every 200ms/)

  admin.answer = { status: 200, stats: sampleStats() }
  await screenWhen('live', (s) => s.includes('· updated ') && /orders-1\.internal:8080\s+UP/.test(s), 'recovery')

  tmux('resize-window', '-t', 'live', '-x', '60', '-y', '30')
  // Only a redraw at the new width puts `…` into a URL; tmux itself just clips.
  const narrow = await screenWhen('live', (s) => /http:\S*…\S*:8080\s+UP/.test(s), 'the table fitted to 60 columns')
  assert.match(narrow.split('\n')[1] ?? '', /^requests 42\.5\/s/, 'the header wraps')

  tmux('send-keys', '-t', 'live', 'q')
  const done = await screenWhen('live', (s) => MODES.test(s), 'top exit')
  assert.match(done, new RegExp(`${EXITED} 0`))
  assert.match(done, /^icanon echo$/m, 'raw mode is off again')
  assert.ok(!done.includes('orders-api'), 'back on the main screen')
  assert.equal(tmux('display', '-p', '-t', 'live', '#{alternate_on} #{cursor_flag}').trim(), '0 1', 'main screen, cursor shown')
})

test('live: r refreshes at once, Ctrl-C quits cleanly, NO_COLOR is honoured', async (t) => {
  const admin = await fakeAdmin(t)
  // An hour between polls: anything new on screen came from the key.
  startTop(t, 'keys', `--admin ${admin.url} --interval 1h`, { NO_COLOR: '1' })
  await screenWhen('keys', (s) => s.includes('orders-api'), 'the first poll')
  assert.ok(!tmux('capture-pane', '-p', '-e', '-t', 'keys').includes('\x1b['), 'no colours or bold with NO_COLOR')

  const stats = sampleStats()
  admin.answer = { status: 200, stats: { ...stats, routes: [...stats.routes, { ...stats.routes[1]!, name: 'added-late' }] } }
  tmux('send-keys', '-t', 'keys', 'r')
  await screenWhen('keys', (s) => s.includes('added-late'), 'the refreshed routes')

  tmux('send-keys', '-t', 'keys', 'C-c')
  const done = await screenWhen('keys', (s) => MODES.test(s), 'top exit')
  assert.match(done, new RegExp(`${EXITED} 0`))
  assert.match(done, /^icanon echo$/m)
})

test('live: an admin server that is not there yet: says so, retries, and shows it once it is up', async (t) => {
  const gone = await startFakeAdmin()
  const port = Number(new URL(gone.url).port)
  await gone.close()
  startTop(t, 'retry', `--admin ${gone.url} --interval 200ms`)
  const waiting = await screenWhen('retry', (s) => s.includes('unreachable (ECONNREFUSED)'), 'the unreachable status')
  assert.match(waiting, /waiting for http:\/\/127\.0\.0\.1:\d+\/stats/)

  const admin = await startFakeAdmin(sampleStats(), port)
  t.after(async () => { await admin.close() })
  await screenWhen('retry', (s) => s.includes('orders-api') && !s.includes('unreachable'), 'the stats after the admin server came up')
  tmux('send-keys', '-t', 'retry', 'q')
  await screenWhen('retry', (s) => s.includes(`${EXITED} 0`), 'top exit')
})
