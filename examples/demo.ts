// `npm run demo`: two echo backends and a gateway in front of them, in one command,
// so a newcomer can curl something within a minute of cloning.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import net from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEchoServer, type EchoServer } from './echo-server.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js')
const CONFIG = join(ROOT, 'examples', 'demo.yaml')
// These must agree with examples/demo.yaml.
const BACKENDS = [{ name: 'a', port: 9001 }, { name: 'b', port: 9002 }]
const GATEWAY = 'http://127.0.0.1:8080'
const ADMIN = 'http://127.0.0.1:9090'
const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 20_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every port the demo needs, with what it is for. */
const PORTS = [
  ...BACKENDS.map((b) => ({ port: b.port, what: `echo backend ${b.name}` })),
  { port: Number(new URL(GATEWAY).port), what: 'the gateway (server.port in examples/demo.yaml)' },
  { port: Number(new URL(ADMIN).port), what: 'the admin API (admin.port in examples/demo.yaml)' }
]

/** Whether something already listens on 127.0.0.1:port (we cannot bind it). */
async function inUse (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const probe = net.createServer()
    probe.once('error', () => { resolve(true) })
    probe.listen(port, '127.0.0.1', () => { probe.close(() => { resolve(false) }) })
  })
}

/**
 * Checked before anything starts: otherwise another gateway already on 8080/9090 would
 * answer our readiness check, the demo would say "running", and then ours would die.
 */
async function busyPorts (): Promise<string[]> {
  const busy: string[] = []
  for (const { port, what } of PORTS) if (await inUse(port)) busy.push(`  127.0.0.1:${port} (${what})`)
  return busy
}

async function waitReady (child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    try {
      const res = await fetch(`${ADMIN}/readyz`, { signal: AbortSignal.timeout(1000) })
      if (res.status === 200) return true
    } catch { /* not listening yet */ }
    await sleep(200)
  }
  return false
}

function banner (): string {
  return [
    '',
    '  Turnpike demo is running',
    '',
    `    try: curl ${GATEWAY}/api/hello            # stripped to /hello; run it twice, "name" alternates a/b`,
    `         curl -N ${GATEWAY}/api/sse           # 5 server-sent events, 200ms apart, streamed through`,
    `         curl ${GATEWAY}/api/delay/500        # a slow backend answer`,
    `         curl -i ${GATEWAY}/status            # exact route rewritten to the backends' /health`,
    `         curl ${GATEWAY}/anything             # the catch-all route`,
    '',
    `    admin: ${ADMIN}/  (dashboard)   ${ADMIN}/backends   ${ADMIN}/metrics`,
    '',
    '  Ctrl-C stops the gateway and the backends.',
    ''
  ].join('\n')
}

async function main (): Promise<void> {
  if (!existsSync(CLI)) {
    console.error(`demo: ${CLI} not found; build the gateway first: npm run build`)
    process.exit(1)
  }
  const busy = await busyPorts()
  if (busy.length > 0) {
    console.error(['demo: these ports are already in use, so the demo cannot start:', ...busy,
      'Is another demo or gateway running? Stop it (or free the ports) and try again.'].join('\n'))
    process.exit(1)
  }
  const backends: EchoServer[] = []
  const closeBackends = async (): Promise<void> => { await Promise.all(backends.map((b) => b.close())) }
  try {
    for (const b of BACKENDS) backends.push(await startEchoServer({ port: b.port, name: b.name }))
  } catch (err) {
    await closeBackends()
    throw err
  }
  console.log(`demo: echo backends on ${backends.map((b) => b.url).join(', ')}`)

  // Its own process group: a terminal Ctrl-C reaches only us, and we forward exactly
  // one signal, so a gateway that treats a second SIGINT as "quit now" still drains.
  const child = spawn(process.execPath, [CLI, 'start', '-c', CONFIG], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return
    stopping = true
    console.log(`\ndemo: ${signal}, stopping the gateway (pid ${child.pid})…`)
    child.kill(signal)
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    force.unref()
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))

  if (await waitReady(child)) console.log(banner())
  else if (!stopping && child.exitCode === null) console.error(`demo: gateway not ready after ${READY_TIMEOUT_MS / 1000}s (still waiting on ${ADMIN}/readyz)`)

  // A null code means it died of a signal: fine if we sent it, a crash otherwise.
  const code = (await exited) ?? (stopping ? 0 : 1)
  await closeBackends()
  console.log(`demo: gateway exited (${code}), backends closed`)
  process.exit(code)
}

main().catch((err: unknown) => {
  console.error('demo:', err instanceof Error ? err.message : err)
  process.exit(1)
})
