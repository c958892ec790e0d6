// A cluster worker's side of one rate limit without Redis: the blocks of budget the
// primary lent it (rate-leases.ts), one per key. While a key has units left in its
// block (and the block's window has not ended), a request is admitted here, at once,
// without a message; the next block is asked for before this one runs out, so a busy
// key waits for the primary only on its first request. A key without a block (close
// to its limit, or new) is checked by the primary.
//
// RateLimit-Remaining, while a block lasts, counts what the gateway had used when the
// block was granted plus this worker's own use since: other workers' use shows from
// the next block on (at most BLOCK_MAX later). Near the limit, where it matters, every
// check is the primary's and the headers are exact.
import { LRUCache } from 'lru-cache'
import type { Verdict } from '../rate-limit/algorithms.js'
import { NO_END } from '../rate-limit/leasing.js'
import { MAX_KEYS } from '../rate-limit/local-store.js'
import { limitOf, type RateRule } from '../rate-limit/rule.js'
import { lowWater, OP } from './lease-terms.js'

interface Block {
  /** Units still to admit here. */
  left: number
  /** The block's `end` (NO_END for a bucket). */
  end: number
  /** The `current` of the last admitted request. */
  current: number
  /** When RateLimit-Reset points to (ms since the epoch). */
  resetAt: number
  /** Ask for the next block at this many units left. */
  low: number
  /** A check asking for a block is on its way, or a refill is: ask no second time. */
  asking: boolean
}

/** What this class needs of the worker's client to the primary (shared-client.ts). */
export interface LeaseCalls {
  /** Resolves with `answers[at…at+3]`: current, ttl, granted, end. */
  call (id: number, key: string, op: number): Promise<{ answers: readonly number[], at: number }>
  giveBack (id: number, key: string, units: number, end: number): void
}

export class WorkerRateLeases {
  private readonly blocks: LRUCache<string, Block>
  private readonly limit: number
  /** Token bucket: each token taken moves RateLimit-Reset this much later. */
  private readonly resetStep: number

  constructor (rule: RateRule, private readonly id: number, private readonly calls: LeaseCalls) {
    this.limit = limitOf(rule)
    this.resetStep = rule.algorithm === 'token-bucket' ? rule.window / rule.max : 0
    // A forgotten key's unused units go back, not lost.
    this.blocks = new LRUCache({
      max: MAX_KEYS,
      dispose: (block, key, reason) => { if (reason === 'evict') this.giveBackAll(key, block) }
    })
  }

  check (key: string): Verdict | Promise<Verdict> {
    const block = this.blocks.get(key)
    if (block !== undefined && block.left > 0) {
      const now = Date.now()
      if (block.end === NO_END || now < block.end) return this.admitHere(key, block, now)
      this.giveBackAll(key, block) // its window ended: a sliding window's previous count still weighs
    }
    return this.ask(key, block)
  }

  /** The primary wants the unused units of `key` back (the key is close to its limit). */
  recall (key: string): void {
    const block = this.blocks.get(key)
    if (block !== undefined) this.giveBackAll(key, block)
  }

  private admitHere (key: string, block: Block, now: number): Verdict {
    block.left--
    if (block.current < this.limit) block.current++
    block.resetAt += this.resetStep
    if (block.left <= block.low && !block.asking) this.refill(key, block)
    return { current: block.current, ttl: Math.max(0, Math.ceil(block.resetAt - now)) }
  }

  private async ask (key: string, known: Block | undefined): Promise<Verdict> {
    let block = known
    if (block === undefined) {
      block = { left: 0, end: NO_END, current: 0, resetAt: 0, low: 0, asking: false }
      this.blocks.set(key, block)
    }
    const op = block.asking ? OP.check : OP.checkAndLease
    block.asking = true
    const { answers, at } = await this.calls.call(this.id, key, op)
    const current = answers[at]!
    const ttl = answers[at + 1]!
    if (op === OP.checkAndLease) {
      block.asking = false
      this.take(key, block, answers[at + 2]!, answers[at + 3]!)
      if (answers[at + 2]! > 0) {
        block.current = current
        block.resetAt = Date.now() + ttl
      }
    }
    return { current, ttl }
  }

  private refill (key: string, block: Block): void {
    block.asking = true
    this.calls.call(this.id, key, OP.refill).then(({ answers, at }) => {
      block.asking = false
      const left = block.left
      this.take(key, block, answers[at + 2]!, answers[at + 3]!)
      // What the gateway used, less what of it this worker still holds unused.
      block.current = Math.min(this.limit, Math.max(block.current, answers[at]! - left))
    }, () => { block.asking = false })
  }

  private take (key: string, block: Block, granted: number, end: number): void {
    if (granted === 0) return
    if (block.left > 0 && block.end !== end) this.giveBackAll(key, block)
    block.left += granted
    block.end = end
    block.low = lowWater(granted)
  }

  private giveBackAll (key: string, block: Block): void {
    if (block.left > 0) this.calls.giveBack(this.id, key, block.left, block.end)
    block.left = 0
  }
}
