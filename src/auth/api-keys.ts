// `auth.apiKeys`: the config holds only SHA-256 digests (`turnpike hash-key`), so the
// file never holds a usable key. A presented key is hashed once and compared with
// every configured digest in constant time, with no early exit: how long a check
// takes says nothing about which entry, if any, matched.
import { createHash, timingSafeEqual } from 'node:crypto'
import type { AuthConfig } from '../config/schema.js'

type ApiKeysConfig = NonNullable<AuthConfig['apiKeys']>

export class ApiKeyChecker {
  /** Lower-case request header the key arrives in. */
  readonly header: string
  private readonly digests: Buffer[]
  private readonly ids: string[]

  constructor (config: ApiKeysConfig) {
    this.header = config.header.toLowerCase()
    this.digests = config.keys.map((key) => Buffer.from(key.sha256, 'hex'))
    this.ids = config.keys.map((key) => key.id)
  }

  /** The configured id of the presented key, or null when it matches none. */
  check (presented: string): string | null {
    const digest = createHash('sha256').update(presented, 'utf8').digest()
    let matched = -1
    for (let i = 0; i < this.digests.length; i++) {
      // Both sides are 32 bytes (the schema requires 64 hex digits), as timingSafeEqual needs.
      const same = timingSafeEqual(digest, this.digests[i] as Buffer)
      matched = same && matched === -1 ? i : matched
    }
    return matched === -1 ? null : this.ids[matched] as string
  }
}
