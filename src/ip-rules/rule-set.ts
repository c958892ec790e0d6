// The effective IP lists compiled into node's BlockList, once per change of the lists
// (never per request). BlockList matches IPv4-mapped IPv6 clients (`::ffff:1.2.3.4`)
// against IPv4 rules and the other way round.
import { BlockList } from 'node:net'
import type { IpLists } from './lists.js'

/** What the rules say about one client: pass, exempt (pass, and skip rate limits and DDoS), or refuse. */
export type Verdict = 'pass' | 'exempt' | 'deny' | 'allow'

function compile (entries: readonly string[]): BlockList | null {
  if (entries.length === 0) return null
  const list = new BlockList()
  for (const entry of entries) {
    const slash = entry.indexOf('/')
    const address = slash === -1 ? entry : entry.slice(0, slash)
    const family = address.includes(':') ? 'ipv6' : 'ipv4'
    if (slash === -1) list.addAddress(address, family)
    else list.addSubnet(address, Number(entry.slice(slash + 1)), family)
  }
  return list
}

export class IpRuleSet {
  /** True when no list has an entry: the policy's hook returns at once. */
  readonly empty: boolean
  private readonly allow: BlockList | null
  private readonly deny: BlockList | null
  private readonly exempt: BlockList | null

  constructor (lists: IpLists) {
    this.allow = compile(lists.allow)
    this.deny = compile(lists.deny)
    this.exempt = compile(lists.exempt)
    this.empty = this.allow === null && this.deny === null && this.exempt === null
  }

  /** 'deny' and 'allow' name the list that refuses the client (the blocked-IP metric's reason). */
  verdict (ip: string): Verdict {
    // BlockList answers false for a string that is no address, so a garbled
    // X-Forwarded-For entry matches nothing (and fails a non-empty allow list).
    const family = ip.includes(':') ? 'ipv6' : 'ipv4'
    if (this.exempt?.check(ip, family) === true) return 'exempt'
    if (this.deny?.check(ip, family) === true) return 'deny'
    if (this.allow !== null && !this.allow.check(ip, family)) return 'allow'
    return 'pass'
  }
}
