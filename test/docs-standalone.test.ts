// The README and docs/ are the reference: nothing in the repository points outside it
// (no link out of the repository, no citation of a contract document's sections), and
// every relative link in the Markdown resolves to a file of the repository.
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { ROOT } from './helpers/child.js'

const SKIP = new Set(['node_modules', 'dist', '.git'])
const TEXT = /\.(ts|mjs|js|md|ya?ml|json)$|^Dockerfile$/

function files (dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name) || name === 'package-lock.json') return []
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return files(full)
    return TEXT.test(name) ? [full] : []
  })
}

// Spelled in pieces so this file does not match itself.
const CITATION = new RegExp(['SP', 'EC(\\.md)?\\b|\\.\\./sh', 'ared/'].join(''))

test('no file cites an outside contract document or links outside the repository', () => {
  const hits = files(ROOT).flatMap((file) => readFileSync(file, 'utf8').split('\n')
    .map((line, i) => CITATION.test(line) ? `${path.relative(ROOT, file)}:${i + 1}: ${line.trim()}` : '')
    .filter((hit) => hit !== ''))
  assert.deepEqual(hits, [])
})

test('every relative link in the README and docs/ resolves inside the repository', () => {
  const docs = [path.join(ROOT, 'README.md'), ...files(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))]
  const broken: string[] = []
  for (const file of docs) {
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target === undefined || /^(https?:|mailto:|#)/.test(target)) continue
      const resolved = path.resolve(path.dirname(file), target.split('#')[0] ?? '')
      if (!resolved.startsWith(ROOT) || !existsSync(resolved)) broken.push(`${path.relative(ROOT, file)}: ${target}`)
    }
  }
  assert.deepEqual(broken, [])
})
