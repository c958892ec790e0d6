// Starts a real gateway in this process from YAML written to a temp file: the same
// load pipeline, listener and admin server as `turnpike start`, on ephemeral ports.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import pino, { type Logger } from 'pino'
import { loadConfigFile } from '../../src/config/load.js'
import { Gateway } from '../../src/server.js'

export interface TestGateway {
  readonly gateway: Gateway
  readonly url: string
  readonly port: number
  readonly adminUrl: string
  readonly file: string
  close (): Promise<void>
}

export const BASE = `server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0, token: test-token }
logging: { level: error, accessLog: false }
`

export async function startGateway (yaml: string, options: { watch?: boolean, logger?: Logger } = {}): Promise<TestGateway> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'turnpike-test-'))
  const file = path.join(dir, 'gateway.yaml')
  await writeFile(file, yaml)
  const loaded = await loadConfigFile(file)
  const gateway = new Gateway(file, loaded, options.logger ?? pino({ level: 'silent' }))
  await gateway.start({ watch: options.watch ?? false })
  const { port } = gateway.dataAddress
  return {
    gateway,
    url: `http://127.0.0.1:${port}`,
    port,
    adminUrl: `http://127.0.0.1:${gateway.adminAddress.port}`,
    file,
    async close () {
      await gateway.shutdown('test')
      await rm(dir, { recursive: true, force: true })
    }
  }
}
