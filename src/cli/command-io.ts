// What a CLI command reads and writes, passed in so tests can run a command in-process.

export interface CommandIo {
  readonly stdout: { write (chunk: string): unknown }
  readonly stderr: { write (chunk: string): unknown }
  readonly stdin: AsyncIterable<string | Buffer>
  readonly env: NodeJS.ProcessEnv
}

export function processIo (): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }
}
