// `turnpike hash-key KEY`: the SHA-256 hex of an API key, for `auth.apiKeys.keys[].sha256`.
// `turnpike hash-key -` reads the key from stdin instead, which keeps it out of shell
// history and the process list.
import { createHash } from 'node:crypto'
import { processIo, type CommandIo } from './command-io.js'

const USAGE = 'usage: turnpike hash-key KEY   (or: turnpike hash-key - < key-file)\n'

export function hashKey (key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** `argv`: the arguments after `hash-key`. */
export async function run (argv: string[], io: CommandIo = processIo()): Promise<number> {
  const args = argv[0] === '--' ? argv.slice(1) : argv
  if (argv[0] !== '--' && (args[0] === '-h' || args[0] === '--help')) {
    io.stdout.write(USAGE)
    return 0
  }
  if (args.length !== 1 || args[0] === '') {
    io.stderr.write(USAGE)
    return 2
  }
  const key = args[0] === '-' ? await readKey(io.stdin) : args[0] as string
  if (key === '') {
    io.stderr.write('hash-key: the key on stdin is empty\n')
    return 2
  }
  io.stdout.write(hashKey(key) + '\n')
  return 0
}

/** All of stdin, less one trailing newline (as `echo KEY |` adds). */
async function readKey (stdin: AsyncIterable<string | Buffer>): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}
