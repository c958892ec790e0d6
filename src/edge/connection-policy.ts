// What `security.connections` asks of a new connection, compiled once per config
// generation (and again when the run-time IP rules change), never per connection: the
// two limits, and the peers a limit leaves alone. Those are looked up only for a
// connection a limit would refuse, since matching an address against CIDR lists costs
// more than counting it.
import type { GatewayConfig } from '../config/schema.js'
import { configLists, effectiveLists } from '../ip-rules/lists.js'
import { IpRuleSet } from '../ip-rules/rule-set.js'
import type { IpRuleStore } from '../ip-rules/store.js'
import { compileTrust, type TrustFunction } from '../proxy/trust.js'
import type { Admission } from './connection-ledger.js'

/** The limits to count a connection under once more, after a first refusal. */
export interface Overrule {
  readonly perIp: number
  readonly total: number
}

const UNLIMITED: Overrule = { perIp: Infinity, total: Infinity }

export class ConnectionPolicy {
  readonly perIp: number
  readonly total: number
  /** Exempt peers are never refused; they count (they hold descriptors like any). */
  private readonly exempt: IpRuleSet
  private readonly trusted: TrustFunction | null
  /** A trusted proxy carries many clients: only the total applies to it. */
  private readonly totalOnly: Overrule

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
    this.trusted = config.server.trustProxy === false ? null : compileTrust(config.server.trustProxy)
    this.totalOnly = { perIp: Infinity, total }
  }

  /** For a connection from `address` that `refusal` turned away: the limits it is owed instead, or null (refused). */
  overrule (address: string | null, refusal: Exclude<Admission, 'admitted'>): Overrule | null {
    if (address === null) return null
    if (!this.exempt.empty && this.exempt.verdict(address) === 'exempt') return UNLIMITED
    if (refusal === 'per-ip' && this.trusted?.(address, 0) === true) return this.totalOnly
    return null
  }
}
