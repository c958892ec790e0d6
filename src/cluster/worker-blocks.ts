// A cluster worker's blocks of one shared limit (a rate limit or the DDoS count, without
// Redis): the units the primary lent it, one block per key (lease-terms.ts). While a key
// has units left in its block and the block's window has not ended, `draw` takes one
// here, at once, without a message; the next block is asked for before this one runs
// out, so a busy key waits for the primary only on its first request. A key without a
// block (close to its limit, or new) is asked of the primary (`ask`), and that answer
// may bring a block along.
import { LRUCache } from 'lru-cache'
import { NO_END } from '../rate-limit/leasing.js'
import { MAX_KEYS } from '../rate-limit/local-store.js'
import { lowWater, OP } from './lease-terms.js'

export interface Block {
  /** Units still to admit here. */
  left: number
  /** The block's `end` (NO_END: it never expires). */
  end: number
  /** Ask for the next block at this many units left. */
  low: number
  /** An answer that may bring a block is on its way: ask no second time. */
  asking: boolean
  /** For the rate limits' headers (worker-rate-leases.ts): `current` of the last admitted request. */
  current: number
  /** … and when RateLimit-Reset points to (ms since the epoch). */
  resetAt: number
}

/** `answers[at…at+3]`: the primary's answer to one check: its verdict (two numbers), units granted, the block's end. */
export interface Answer { readonly answers: readonly number[], readonly at: number }

/** What blocks need of the worker's client to the primary (shared-client.ts). */
export interface LeaseCalls {
  call (id: number, key: string, op: number): Promise<Answer>
  giveBack (id: number, key: string, units: number, end: number): void
}

export class WorkerBlocks {
  private readonly blocks: LRUCache<string, Block>

  /** `refilled`: a refill's answer, for the block's own bookkeeping (`left` is before the grant). */
  constructor (private readonly id: number, private readonly calls: LeaseCalls, private readonly refilled: (block: Block, answer: Answer, left: number) => void = () => undefined) {
    // A forgotten key's unused units go back, not lost.
    this.blocks = new LRUCache({
      max: MAX_KEYS,
      dispose: (block, key, reason) => { if (reason === 'evict') this.giveBackAll(key, block) }
    })
  }

  /** Takes one unit of `key`'s block, or returns undefined (none left: `ask`). */
  draw (key: string, now: number): Block | undefined {
    const block = this.blocks.get(key)
    if (block === undefined || block.left === 0) return undefined
    if (block.end !== NO_END && now >= block.end) {
      this.giveBackAll(key, block) // its window ended: a sliding window's previous count still weighs
      return undefined
    }
    block.left--
    if (block.left <= block.low && !block.asking) this.refill(key, block)
    return block
  }

  /** One check by the primary; `granted` > 0 when a block came along (now in `block`). */
  async ask (key: string): Promise<Answer & { block: Block, granted: number }> {
    let block = this.blocks.get(key)
    if (block === undefined) {
      block = { left: 0, end: NO_END, low: 0, asking: false, current: 0, resetAt: 0 }
      this.blocks.set(key, block)
    }
    const op = block.asking ? OP.check : OP.checkAndLease
    block.asking = true
    const answer = await this.calls.call(this.id, key, op)
    let granted = 0
    if (op === OP.checkAndLease) {
      block.asking = false
      granted = answer.answers[answer.at + 2]!
      this.take(key, block, granted, answer.answers[answer.at + 3]!)
    }
    return { ...answer, block, granted }
  }

  /** The primary wants the unused units of `key` back (the key is close to its limit). */
  recall (key: string): void {
    const block = this.blocks.get(key)
    if (block !== undefined) this.giveBackAll(key, block)
  }

  private refill (key: string, block: Block): void {
    block.asking = true
    this.calls.call(this.id, key, OP.refill).then((answer) => {
      block.asking = false
      const left = block.left
      this.take(key, block, answer.answers[answer.at + 2]!, answer.answers[answer.at + 3]!)
      this.refilled(block, answer, left)
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
