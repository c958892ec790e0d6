// Where the TLS files of a config are, by key path: one list that the config checks,
// the path resolution and the serving code all walk, so they agree on what is read.
import type { KeyPath } from '../config/problem.js'
import { isObject, itemsOf } from '../config/guards.js'

export interface PairRef {
  readonly cert: string
  readonly key: string
  /** Key path of the object holding `cert` and `key`. */
  readonly at: KeyPath
}

/**
 * The certificate pairs of `server.tls`, in serving order: the `cert`/`key` shorthand
 * first (when given), then `certificates`. Entries with a missing half are left out
 * (the config checks report them).
 */
export function serverPairs (tls: unknown): PairRef[] {
  if (!isObject(tls)) return []
  const pairs: PairRef[] = []
  if (typeof tls.cert === 'string' && typeof tls.key === 'string') pairs.push({ cert: tls.cert, key: tls.key, at: ['server', 'tls'] })
  itemsOf(tls.certificates).forEach((pair, i) => {
    if (isObject(pair) && typeof pair.cert === 'string' && typeof pair.key === 'string') {
      pairs.push({ cert: pair.cert, key: pair.key, at: ['server', 'tls', 'certificates', i] })
    }
  })
  return pairs
}
