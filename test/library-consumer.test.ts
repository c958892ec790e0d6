// The package as a library, from a separate consumer package that depends on it by
// name (node_modules/turnpike links to this repository, as `npm install ../turnpike`
// would): a program that embeds the gateway with a plugin of its own, run for real, and
// a TypeScript consumer type-checked against the shipped declarations.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { after, before, test } from 'node:test'
import { startBackend, type Backend } from './helpers/backend.js'
import { ROOT } from './helpers/child.js'

const run = promisify(execFile)

const PLUGIN = `import { definePlugin, Type } from 'turnpike'
export default definePlugin({
  name: 'embedded',
  options: Type.Object({ header: Type.String() }),
  async register (route, options) {
    route.addHook('onRequest', async (request) => {
      request.turnpike.upstreamHeaders.set(options.header, 'from-' + request.turnpike.route.name)
    })
  }
})
`

const PROGRAM = `import { createGateway } from 'turnpike'
const gateway = createGateway({
  baseDir: import.meta.dirname ?? new URL('.', import.meta.url).pathname,
  logger: (await import('pino')).default({ level: 'silent' }),
  config: {
    server: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    plugins: [{ name: 'embedded', module: './plugin.mjs', options: { header: 'x-embedded' } }],
    upstreams: { app: { targets: [{ url: process.argv[2] }] } },
    routes: [{ name: 'api', match: { path: '/api' }, upstream: 'app', plugins: ['embedded'] }]
  }
})
await gateway.start()
const res = await fetch('http://127.0.0.1:' + gateway.ports.server + '/api/x')
const seen = await res.json()
const health = await fetch('http://127.0.0.1:' + gateway.ports.admin + '/healthz')
await gateway.close()
console.log(JSON.stringify({ status: res.status, header: seen.headers['x-embedded'], health: health.status }))
`

const TYPED = `import { createGateway, definePlugin, Type, type EmbeddedGateway, type PluginRequestContext } from 'turnpike'

export const plugin = definePlugin({
  name: 'typed',
  options: Type.Object({ header: Type.String(), times: Type.Integer() }),
  async register (route, options) {
    const header: string = options.header
    const times: number = options.times
    // @ts-expect-error options are typed from the schema: times is a number
    const wrong: string = options.times
    route.addHook('onRequest', async (request) => {
      const context: PluginRequestContext = request.turnpike
      context.upstreamHeaders.set(header, String(times) + (context.identity?.id ?? '') + context.path + wrong)
    })
  }
})

export const gateway: EmbeddedGateway = createGateway({ configPath: 'gateway.yaml', watch: false })
export const ports = async (): Promise<number> => { await gateway.start(); return gateway.ports.server }
// @ts-expect-error createGateway needs configPath or config
createGateway({})
`

let backend: Backend
let dir: string
before(async () => {
  backend = await startBackend()
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-consumer-'))
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { turnpike: `file:${ROOT}`, pino: '*' } }))
  await mkdir(path.join(dir, 'node_modules'))
  await symlink(ROOT, path.join(dir, 'node_modules', 'turnpike'), 'dir')
  // The program's own dependency, as its own npm install would give it.
  await symlink(path.join(ROOT, 'node_modules', 'pino'), path.join(dir, 'node_modules', 'pino'), 'dir')
  await writeFile(path.join(dir, 'plugin.mjs'), PLUGIN)
  await writeFile(path.join(dir, 'program.mjs'), PROGRAM)
  await writeFile(path.join(dir, 'typed.ts'), TYPED)
  await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')] },
    files: ['typed.ts']
  }))
})
after(async () => {
  await backend.close()
  await rm(dir, { recursive: true, force: true })
})

test('a program imports createGateway by the package name and runs a gateway with its own plugin', async () => {
  const { stdout } = await run(process.execPath, ['program.mjs', backend.url], { cwd: dir, timeout: 60_000 })
  assert.deepEqual(JSON.parse(stdout), { status: 200, header: 'from-api', health: 200 })
})

test('a TypeScript consumer type-checks against the shipped declarations', async () => {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir, timeout: 120_000 }).catch((err: { stdout: string }) => err)
  assert.equal(result.stdout, '', 'no type errors (and each @ts-expect-error met one)')
})
