// Plugin modules written to a temp directory for one test, named by absolute path in
// the YAML (`module: ${files.path('tag.mjs')}`), and rewritable to test reloads.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface PluginFiles {
  readonly dir: string
  path (name: string): string
  write (name: string, text: string): Promise<void>
  remove (): Promise<void>
}

export async function pluginFiles (files: Record<string, string>): Promise<PluginFiles> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-plugins-'))
  const result: PluginFiles = {
    dir,
    path: (name) => path.join(dir, name),
    write: async (name, text) => {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true })
      await writeFile(path.join(dir, name), text)
    },
    remove: async () => { await rm(dir, { recursive: true, force: true }) }
  }
  for (const [name, text] of Object.entries(files)) await result.write(name, text)
  return result
}

/** A plain-JavaScript ESM plugin whose onRequest hook runs `body` (request, reply and options in scope). */
export function esmPlugin (name: string, body: string, options = ''): string {
  return `export default {
  name: '${name}',${options === '' ? '' : `\n  options: ${options},`}
  async register (route, options) {
    route.addHook('onRequest', async (request, reply) => {
      ${body}
    })
  }
}
`
}
