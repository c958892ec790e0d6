// The Dockerfile's essentials: multi-stage, a distroless non-root runtime with
// nothing that needs a shell, and a build stage that copies everything the build needs
// past .dockerignore. No Docker engine in CI: the image itself is never built here.
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { ROOT } from './helpers/child.js'

interface Instruction { op: string, args: string }
interface Stage { from: string, name: string | undefined, steps: Instruction[] }

// A Dockerfile is line-based with `\` continuations; the few instructions checked here
// need no more than that (no npm package parses current Dockerfile syntax well).
function parseDockerfile (text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  const stages: Stage[] = []
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? []
    if (op.toUpperCase() === 'FROM') {
      const [from = '', , name] = args.split(/\s+/)
      stages.push({ from, name, steps: [] })
    } else {
      stages.at(-1)?.steps.push({ op: op.toUpperCase(), args })
    }
  }
  return stages
}

const stages = parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))
const build = stages[0]
const runtime = stages.at(-1)
const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))

function args (stage: Stage | undefined, op: string): string[] {
  return (stage?.steps ?? []).filter((s) => s.op === op).map((s) => s.args)
}

test('two stages: node:20 bookworm-slim builds, distroless nodejs20 nonroot runs', () => {
  assert.equal(stages.length, 2)
  assert.equal(build?.from, 'node:20-bookworm-slim')
  assert.equal(build?.name, 'build')
  assert.equal(runtime?.from, 'gcr.io/distroless/nodejs20-debian12:nonroot')
})

test('the runtime runs as the non-root user 65532 and has no shell step, curl or HEALTHCHECK', () => {
  assert.deepEqual(args(runtime, 'USER'), ['65532:65532'])
  assert.deepEqual(args(runtime, 'RUN'), [], 'distroless has no shell to RUN in')
  assert.deepEqual(args(runtime, 'HEALTHCHECK'), [])
  assert.ok(!runtime?.steps.some((s) => /curl|wget/.test(s.args)))
})

test('the runtime holds only the build output, production node_modules, package.json, configs and dashboard assets', () => {
  const copies = args(runtime, 'COPY')
  assert.deepEqual(copies.map((c) => c.replace(/\s+\S+$/, '')).sort(), [
    '--from=build /app/dist', '--from=build /app/node_modules', '--from=build /app/package.json', 'configs', 'routes/dashboard'
  ])
  // dist/routes/dashboard.js finds its static files at ../../routes/dashboard from /app/dist/routes.
  assert.ok(copies.includes('routes/dashboard ./routes/dashboard'))
  assert.ok(existsSync(path.join(ROOT, 'routes', 'dashboard', 'index.html')))
  assert.deepEqual(args(runtime, 'EXPOSE'), ['8080 9090'])
})

test('the command is the built CLI\'s start, which the build stage produces', () => {
  const [cmd] = args(runtime, 'CMD')
  const argv = JSON.parse(cmd ?? '[]') as string[]
  assert.deepEqual(argv, ['dist/src/cli/main.js', 'start'])
  const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }
  assert.ok(tsconfig.include.includes('src'))
})

test('the build installs without lifecycle scripts, builds, then drops dev dependencies', () => {
  const runs = args(build, 'RUN').join(' && ')
  assert.match(runs, /npm ci --ignore-scripts/)
  assert.match(runs, /npm run build && npm prune --omit=dev/)
})

test('the build stage copies every source directory tsconfig.build.json compiles', () => {
  const copied = args(build, 'COPY').flatMap((c) => c.split(/\s+/).slice(0, -1))
  const tsconfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }
  for (const dir of tsconfig.include) assert.ok(copied.includes(dir), `COPY ${dir}`)
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) assert.ok(copied.includes(file), `COPY ${file}`)
})

test('.dockerignore keeps local builds, git and tests out, and nothing the Dockerfile copies', () => {
  for (const entry of ['node_modules', 'dist', '.git', 'test']) assert.ok(ignored.includes(entry), entry)
  const fromContext = [...args(build, 'COPY'), ...args(runtime, 'COPY')]
    .filter((c) => !c.startsWith('--from'))
    .flatMap((c) => c.split(/\s+/).slice(0, -1))
  for (const source of fromContext) {
    assert.ok(existsSync(path.join(ROOT, source)), `${source} exists`)
    assert.ok(!ignored.includes(source), `${source} is not ignored`)
  }
})
