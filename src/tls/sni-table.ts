// Which certificate a TLS client gets for the name it asked for (SNI): an exact DNS
// name first, then a wildcard one label deep (`*.example.com` covers `a.example.com`,
// not `a.b.example.com` nor `example.com`, as clients verify it), else the default.
// Built once per set of certificates, so a handshake costs one or two map lookups.

export interface SniEntry<T> {
  readonly names: readonly string[]
  readonly value: T
}

export class SniTable<T> {
  private readonly exact = new Map<string, T>()
  /** Keyed by what follows `*.`: `example.com` for `*.example.com`. */
  private readonly wildcard = new Map<string, T>()

  /** The first entry is the default; on a name listed twice the earlier entry wins. */
  constructor (entries: ReadonlyArray<SniEntry<T>>, readonly fallback: T) {
    for (const { names, value } of entries) {
      for (const name of names) {
        const map = name.startsWith('*.') ? this.wildcard : this.exact
        const key = name.startsWith('*.') ? name.slice(2) : name
        if (!map.has(key)) map.set(key, value)
      }
    }
  }

  pick (servername: string | undefined): T {
    if (servername === undefined || servername === '') return this.fallback
    const name = servername.toLowerCase().replace(/\.$/, '')
    const exact = this.exact.get(name)
    if (exact !== undefined) return exact
    const dot = name.indexOf('.')
    return (dot > 0 ? this.wildcard.get(name.slice(dot + 1)) : undefined) ?? this.fallback
  }
}
