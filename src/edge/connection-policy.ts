// What `security.connections` asks of one new connection, compiled once per config
// generation (and again when the run-time IP rules change), never per connection:
// the two limits and which peers the per-address limit leaves alone.
import type { GatewayConfig } from '../config/schema.js'
import { configLists, effectiveLists } from '../ip-rules/lists.js'
import { IpRuleSet } from '../ip-rules/rule-set.js'
import type { IpRuleStore } from '../ip-rules/store.js'
import { compileTrust, type TrustFunction } from '../proxy/trust.js'

/** How one peer is limited: as itself, or (null) in the total only. */
export interface PeerLimits {
  readonly address: string | null
  readonly perIp: number
  readonly total: number
}

export class ConnectionPolicy {
  readonly perIp: number
  readonly total: number
  /** Exempt peers: counted (they hold descriptors like any) but never refused. */
  private readonly exempt: IpRuleSet
  private readonly trusted: TrustFunction | null
  private readonly unlimited: PeerLimits = { address: null, perIp: Infinity, total: Infinity }
  private readonly inTotal: PeerLimits

  /** Null when the config sets no connection limit: then nothing is counted. */
  static compile (config: Readonly<GatewayConfig>, rules: IpRuleStore): ConnectionPolicy | null {
    const limits = config.security?.connections
    if (limits?.perIp === undefined && limits?.total === undefined) return null
    return new ConnectionPolicy(config, rules, limits.perIp ?? Infinity, limits.total ?? Infinity)
  }

  private constructor (config: Readonly<GatewayConfig>, rules: IpRuleStore, perIp: number, total: number) {
    this.perIp = perIp
    this.total = total
    const exempt = effectiveLists(configLists(config.security?.ipFilter), rules.snapshot()).exempt
    this.exempt = new IpRuleSet({ allow: [], deny: [], exempt })
    // A trusted proxy carries many clients: only the total applies to it.
    this.trusted = config.server.trustProxy === false ? null : compileTrust(config.server.trustProxy)
    this.inTotal = { address: null, perIp: Infinity, total }
  }

  /** The limits for a connection from `address` (the TCP peer; undefined once it is gone). */
  limitsFor (address: string | undefined): PeerLimits {
    if (address === undefined) return this.inTotal
    if (!this.exempt.empty && this.exempt.verdict(address) === 'exempt') return this.unlimited
    if (this.trusted?.(address, 0) === true) return this.inTotal
    return { address, perIp: this.perIp, total: this.total }
  }
}
