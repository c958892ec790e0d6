// What GET /version reports. The commit comes from TURNPIKE_COMMIT (set by the Docker
// build) or, in a checkout, from .git; never from running git.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root, from src/ (tsx) or dist/src/ (built) alike. */
function findRoot (): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  return dir
}

const root = findRoot()

function readCommit (): string {
  if (process.env.TURNPIKE_COMMIT !== undefined && process.env.TURNPIKE_COMMIT !== '') return process.env.TURNPIKE_COMMIT
  try {
    const head = readFileSync(path.join(root, '.git', 'HEAD'), 'utf8').trim()
    if (!head.startsWith('ref: ')) return head
    const ref = head.slice(5)
    try {
      return readFileSync(path.join(root, '.git', ref), 'utf8').trim()
    } catch {
      const packed = readFileSync(path.join(root, '.git', 'packed-refs'), 'utf8')
      return packed.split('\n').find((line) => line.endsWith(' ' + ref))?.split(' ')[0] ?? 'unknown'
    }
  } catch {
    return 'unknown'
  }
}

function readVersion (): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return '0.0.0'
  }
}

export const VERSION = readVersion()
export const COMMIT = readCommit()
