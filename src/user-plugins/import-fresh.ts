// Imports a module's current code, not the copy a previous config generation loaded:
// an ES module is cached by its URL, so each load gets a URL of its own (a query);
// a CommonJS module is cached by its file name in require.cache, so its entry goes first.
// Only the plugin's own file is loaded afresh; the modules it imports stay cached.
// Each load keeps one more copy of the module in memory: Node cannot unload an ES module.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'

const requireCache = createRequire(import.meta.url).cache

export async function importFresh (url: URL): Promise<unknown> {
  if (url.protocol !== 'file:') return await import(url.href)
  const file = fileURLToPath(url)
  if (!existsSync(file)) throw new Error(`no such file ${file}`)
  // The shared CommonJS cache (Node's Module._cache), not state of ours.
  delete requireCache[file]
  const fresh = new URL(url.href)
  fresh.searchParams.set('turnpike-load', randomUUID())
  return await import(fresh.href)
}
