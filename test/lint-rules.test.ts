// `npm run lint` rejects import cycles (import-x/no-cycle) and module-level mutable
// state in the gateway's code (no-restricted-syntax), both in eslint.config.js. This
// plants each in code run through the repository's own ESLint config: the check must
// fail on it and pass on the fixed form (as src/proxy/body-faults.ts fixed a cycle).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { ESLint } from 'eslint'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { after, test } from 'node:test'
import { ROOT } from './helpers/child.js'

const ESLINT = path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js')
// Outside every tsconfig `include`, so a build running beside this test never sees it.
const dir = mkdtempSync(path.join(ROOT, '.lint-fixture-'))
after(() => { rmSync(dir, { recursive: true, force: true }) })

function lint (files: Record<string, string>): { status: number | null, output: string } {
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text)
  const run = spawnSync(process.execPath, [ESLINT, '--no-warn-ignored', path.relative(ROOT, dir)], { cwd: ROOT, encoding: 'utf8' })
  return { status: run.status, output: run.stdout + run.stderr }
}

test('lint fails on an import cycle and names it', () => {
  const { status, output } = lint({
    'body.ts': "import { fault } from './errors.js'\nexport const body = (): Error => fault()\nexport class Limit extends Error {}\n",
    'errors.ts': "import { Limit } from './body.js'\nexport const fault = (): Error => new Limit('over')\n"
  })
  assert.equal(status, 1, output)
  assert.match(output, /body\.ts[\s\S]*Dependency cycle[\s\S]*import-x\/no-cycle/)
  assert.match(output, /errors\.ts[\s\S]*Dependency cycle/)
})

test('lint passes once the shared piece has a file of its own', () => {
  const { status, output } = lint({
    'faults.ts': 'export class Limit extends Error {}\n',
    'body.ts': "import { fault } from './errors.js'\nexport const body = (): Error => fault()\n",
    'errors.ts': "import { Limit } from './faults.js'\nexport const fault = (): Error => new Limit('over')\n"
  })
  assert.equal(status, 0, output)
})

/** What lint says of `text` as if it were a file of src/ (nothing is written). */
async function lintAsSource (text: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT })
  const [result] = await eslint.lintText(text, { filePath: path.join(ROOT, 'src', 'planted-state.ts') })
  return (result?.messages ?? []).map((m) => `${m.line}: ${m.message}`)
}

test('lint fails on module-level state in the gateway\'s code', async () => {
  const found = await lintAsSource([
    'export let count = 0',
    'const budgets = new Map<string, number>()',
    'const seen = new Set<string>()',
    'export function budgetOf (name: string): number { count++; seen.add(name); return budgets.get(name) ?? 0 }',
    ''
  ].join('\n'))
  assert.equal(found.length, 3, found.join('\n'))
  assert.match(found[0] ?? '', /^1: No module-level let\/var/)
  assert.match(found[1] ?? '', /^2: No module-level Map, Set/)
  assert.match(found[2] ?? '', /^3: No module-level Map, Set/)
})

test('constants typed read-only, and state inside an object, pass', async () => {
  const found = await lintAsSource([
    "const CODES: ReadonlySet<string> = new Set(['ECONNRESET'])",
    'export class Budgets {',
    '  private readonly budgets = new Map<string, number>()',
    '  of (name: string): number { return this.budgets.get(name) ?? (CODES.has(name) ? 1 : 0) }',
    '}',
    ''
  ].join('\n'))
  assert.deepEqual(found, [])
})
