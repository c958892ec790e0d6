// A fast, non-cryptographic 32-bit string hash for the hash balancers: FNV-1a over the
// UTF-16 code units, then murmur3's fmix32 finalizer. FNV-1a alone spreads near-identical
// inputs ("url#1", "url#2") poorly around a ring; the finalizer gives every input bit a
// say in every output bit. Nothing here needs to resist an attacker: a client can only
// choose which target it lands on, which it could do by other means too.

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

export function hash32 (text: string): number {
  return fmix32(fnv1a(text))
}

export function fnv1a (text: string): number {
  let h = FNV_OFFSET
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, FNV_PRIME)
  }
  return h >>> 0
}

/** murmur3's finalizer: a bijection on 32-bit integers with full avalanche. */
export function fmix32 (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
