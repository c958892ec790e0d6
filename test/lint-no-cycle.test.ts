// `npm run lint` rejects import cycles (eslint.config.js, import-x/no-cycle). This plants
// one in a throwaway folder of the repository and runs the repository's own ESLint
// config over it: the check must fail on the cycle, name the rule, and pass once the
// shared piece has moved to a file of its own (as src/proxy/body-faults.ts did).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
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
