// The three IP lists and how the effective lists are made from the
// config's lists and the run-time changes made through the admin API.
import { isIP } from 'node:net'
import { isIpOrCidr } from '../config/cidr.js'
import type { SecurityConfig } from '../config/schema.js'

export const LIST_NAMES = ['allow', 'deny', 'exempt'] as const
export type ListName = typeof LIST_NAMES[number]
export type IpLists = Record<ListName, string[]>

/** A run-time change of one entry: added to its list, or removed from it (config entries too). */
export type Change = 'added' | 'removed'

export function isListName (name: string): name is ListName {
  return (LIST_NAMES as readonly string[]).includes(name)
}

export function emptyLists (): IpLists {
  return { allow: [], deny: [], exempt: [] }
}

/**
 * One spelling per address, so a DELETE finds the entry however it was typed:
 * `2001:DB8:0::/32` and `2001:db8::/32` are the same entry. Returns null for a non-address.
 */
export function canonicalCidr (text: string): string | null {
  const trimmed = text.trim()
  if (!isIpOrCidr(trimmed)) return null
  const slash = trimmed.indexOf('/')
  const address = slash === -1 ? trimmed : trimmed.slice(0, slash)
  const bits = slash === -1 ? '' : '/' + String(Number(trimmed.slice(slash + 1)))
  // The URL parser compresses and lower-cases IPv6; a dotted (IPv4-mapped) form and a
  // zone index (`%eth0`, which URLs do not take) are kept as written.
  const canonical = isIP(address) === 6 && !/[.%]/.test(address)
    ? new URL(`http://[${address}]/`).hostname.slice(1, -1)
    : address.toLowerCase()
  return canonical + bits
}

/** The config's lists, canonical, without duplicates. */
export function configLists (filter: SecurityConfig['ipFilter']): IpLists {
  const lists = emptyLists()
  for (const name of LIST_NAMES) {
    const seen = new Set<string>()
    for (const entry of filter?.[name] ?? []) {
      const canonical = canonicalCidr(entry)
      if (canonical !== null) seen.add(canonical)
    }
    lists[name] = [...seen]
  }
  return lists
}

/** The field under which a change is stored, in memory and in the Redis hash. */
export function changeKey (list: ListName, cidr: string): string {
  return `${list} ${cidr}`
}

export function parseChangeKey (key: string): { list: ListName, cidr: string } | null {
  const space = key.indexOf(' ')
  const list = key.slice(0, space)
  const cidr = key.slice(space + 1)
  return space > 0 && isListName(list) && canonicalCidr(cidr) === cidr ? { list, cidr } : null
}

/** (config ∪ run-time adds) − run-time removals, per list. */
export function effectiveLists (fromConfig: IpLists, changes: ReadonlyMap<string, Change>): IpLists {
  const lists = emptyLists()
  for (const name of LIST_NAMES) {
    const entries = new Set(fromConfig[name])
    for (const [key, change] of changes) {
      const parsed = parseChangeKey(key)
      if (parsed === null || parsed.list !== name) continue
      if (change === 'added') entries.add(parsed.cidr)
      else entries.delete(parsed.cidr)
    }
    lists[name] = [...entries]
  }
  return lists
}

/** The run-time part alone, for GET /ip-rules. */
export function runtimeLists (changes: ReadonlyMap<string, Change>): { added: IpLists, removed: IpLists } {
  const added = emptyLists()
  const removed = emptyLists()
  for (const [key, change] of changes) {
    const parsed = parseChangeKey(key)
    if (parsed !== null) (change === 'added' ? added : removed)[parsed.list].push(parsed.cidr)
  }
  return { added, removed }
}
