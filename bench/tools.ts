// Which external tools this machine has; the benchmark adapts instead of failing.
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

// Debian puts nginx in /usr/sbin, which is not on a normal user's PATH.
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin']

export function findExecutable (name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...EXTRA_DIRS]
  for (const dir of dirs) {
    if (dir === '') continue
    const file = join(dir, name)
    try {
      accessSync(file, constants.X_OK)
      return file
    } catch { /* not here */ }
  }
  return null
}
