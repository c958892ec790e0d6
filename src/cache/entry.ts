// What the cache holds, and its wire form in Redis: one binary value per key, a
// 4-byte length, a small JSON head, then the body bytes as they came (no base64).
//
// A key holds either an entry, or (for an answer with Vary) a marker naming the
// request headers it varies on; each variant then lives under its own key (key.ts).

export type StoredHeaders = ReadonlyArray<readonly [string, string | string[]]>

export interface CacheEntry {
  readonly kind: 'entry'
  readonly status: number
  /** The upstream's headers after the route's edits, without hop-by-hop and per-request ones. */
  readonly headers: StoredHeaders
  /** Epoch ms when stored. */
  readonly storedAt: number
  /** Epoch ms when it stops being fresh. */
  readonly expiresAt: number
  /** The Age the upstream sent, in seconds. */
  readonly upstreamAge: number
  readonly body: Buffer
}

export interface VaryMarker {
  readonly kind: 'vary'
  /** Lower-case request header names. */
  readonly names: readonly string[]
  readonly expiresAt: number
}

export type CacheRecord = CacheEntry | VaryMarker

export function isFresh (record: CacheRecord, now: number): boolean {
  return record.expiresAt > now
}

/** The Age header of a hit: the upstream's Age plus the whole seconds spent in the cache. */
export function ageSeconds (entry: CacheEntry, now: number): number {
  return entry.upstreamAge + Math.max(0, Math.floor((now - entry.storedAt) / 1000))
}

/** Bytes a record costs in memory (for the in-process store's bound), roughly. */
export function recordSize (record: CacheRecord): number {
  if (record.kind === 'vary') return 64 + record.names.join().length
  let size = 128 + record.body.length
  for (const [name, value] of record.headers) size += name.length + (Array.isArray(value) ? value.join().length : value.length) + 16
  return size
}

interface Head {
  k: 'e' | 'v'
  s?: number
  h?: Array<[string, string | string[]]>
  t?: number
  x: number
  a?: number
  n?: string[]
}

export function encodeRecord (record: CacheRecord): Buffer {
  const head: Head = record.kind === 'vary'
    ? { k: 'v', n: [...record.names], x: record.expiresAt }
    : { k: 'e', s: record.status, h: record.headers as Head['h'], t: record.storedAt, x: record.expiresAt, a: record.upstreamAge }
  const json = Buffer.from(JSON.stringify(head))
  const prefix = Buffer.allocUnsafe(4)
  prefix.writeUInt32BE(json.length, 0)
  return record.kind === 'vary' ? Buffer.concat([prefix, json]) : Buffer.concat([prefix, json, record.body])
}

/** The record in `value`; undefined when it is not one of ours (a stray or damaged key counts as a miss). */
export function decodeRecord (value: Buffer): CacheRecord | undefined {
  if (value.length < 4) return undefined
  const length = value.readUInt32BE(0)
  if (4 + length > value.length) return undefined
  let head: Head
  try {
    head = JSON.parse(value.toString('utf8', 4, 4 + length)) as Head
  } catch {
    return undefined
  }
  if (typeof head !== 'object' || head === null || typeof head.x !== 'number') return undefined
  if (head.k === 'v' && Array.isArray(head.n)) return { kind: 'vary', names: head.n, expiresAt: head.x }
  if (head.k !== 'e' || typeof head.s !== 'number' || !Array.isArray(head.h) || typeof head.t !== 'number') return undefined
  return {
    kind: 'entry',
    status: head.s,
    headers: head.h,
    storedAt: head.t,
    expiresAt: head.x,
    upstreamAge: head.a ?? 0,
    body: value.subarray(4 + length)
  }
}
