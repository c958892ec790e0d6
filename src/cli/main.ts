#!/usr/bin/env node
// `turnpike <command>`: the command table. Each command lives in its own module and
// returns its exit code.
import { fileURLToPath } from 'node:url'

const COMMANDS: Record<string, () => Promise<{ run: (argv: string[]) => Promise<number> }>> = {
  start: async () => await import('./start.js'),
  validate: async () => await import('./validate.js'),
  explain: async () => await import('./explain.js'),
  'hash-key': async () => await import('./hash-key.js'),
  top: async () => await import('./top.js')
}

const USAGE = `usage: turnpike <command> [options]

commands:
  start [-c FILE]                          start the gateway
  validate FILE                            check a config file
  explain FILE METHOD URL [-H 'N: v']...   show which route a request would take
  hash-key KEY                             print the SHA-256 of an API key for the config
  top [--admin URL] [--once]               a live terminal dashboard of a running gateway
`

export async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(USAGE)
    return command === undefined ? 2 : 0
  }
  const load = COMMANDS[command]
  if (load === undefined) {
    process.stderr.write(`turnpike: unknown command "${command}"\n\n${USAGE}`)
    return 2
  }
  return await (await load()).run(rest)
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  const code = await main(process.argv.slice(2))
  // After a drain nothing of ours is left running; exit even if a library left a handle.
  process.exit(code)
}
