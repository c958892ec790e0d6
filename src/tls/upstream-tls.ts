// TLS to an upstream's https:// targets (`upstreams.*.tls`): the private CA to verify
// them against, the client certificate for upstreams that require mTLS, the name sent
// as SNI and verified, and `verify: false` for the rare target that cannot be
// verified. Read when a generation is built, so a reload picks up renewed files; the
// digest of what was read keys the connection pools and health probes, so a target
// whose TLS material changed gets new connections and an unchanged one keeps its own.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import type { UpstreamTlsConfig } from '../config/schema.js'

export interface UpstreamTls {
  /** For undici's `connect` option and node:tls. */
  readonly connect: Readonly<ConnectionOptions>
  /** Changes when any setting or file content changes. */
  readonly digest: string
}

export function upstreamTls (config: UpstreamTlsConfig | undefined): UpstreamTls | undefined {
  if (config === undefined) return undefined
  const hash = createHash('sha256').update(JSON.stringify(config))
  const file = (name: string | undefined): Buffer | undefined => {
    if (name === undefined) return undefined
    const content = readFileSync(name)
    hash.update(content)
    return content
  }
  const ca = file(config.ca)
  const cert = file(config.cert)
  const key = file(config.key)
  const connect: ConnectionOptions = {
    rejectUnauthorized: config.verify,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined || key === undefined ? {} : { cert, key }),
    ...(config.servername === undefined ? {} : { servername: config.servername })
  }
  return Object.freeze({ connect: Object.freeze(connect), digest: hash.digest('hex') })
}
