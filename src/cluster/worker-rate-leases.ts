// A cluster worker's side of one rate limit without Redis: a request is admitted from
// the key's block while it lasts (worker-blocks.ts), otherwise checked by the primary
// (rate-leases.ts).
//
// RateLimit-Remaining, while a block lasts, counts what the gateway had used when the
// block was granted plus this worker's own use since: other workers' use shows from
// the next block on (at most BLOCK_MAX later). Near the limit, where it matters, every
// check is the primary's and the headers are exact.
import type { Verdict } from '../rate-limit/algorithms.js'
import { limitOf, type RateRule } from '../rate-limit/rule.js'
import { WorkerBlocks, type Block, type LeaseCalls } from './worker-blocks.js'

export class WorkerRateLeases {
  private readonly blocks: WorkerBlocks
  private readonly limit: number
  /** Token bucket: each token taken moves RateLimit-Reset this much later. */
  private readonly resetStep: number

  constructor (rule: RateRule, id: number, calls: LeaseCalls) {
    this.limit = limitOf(rule)
    this.resetStep = rule.algorithm === 'token-bucket' ? rule.window / rule.max : 0
    this.blocks = new WorkerBlocks(id, calls, (block, { answers, at }, left) => {
      // What the gateway used, less what of it this worker still held unused.
      block.current = Math.min(this.limit, Math.max(block.current, answers[at]! - left))
    })
  }

  check (key: string): Verdict | Promise<Verdict> {
    const now = Date.now()
    const block = this.blocks.draw(key, now)
    if (block !== undefined) return this.admitted(block, now)
    return this.blocks.ask(key).then(({ answers, at, block, granted }) => {
      const current = answers[at]!
      const ttl = answers[at + 1]!
      if (granted > 0) {
        block.current = current
        block.resetAt = Date.now() + ttl
      }
      return { current, ttl }
    })
  }

  recall (key: string): void {
    this.blocks.recall(key)
  }

  private admitted (block: Block, now: number): Verdict {
    if (block.current < this.limit) block.current++
    block.resetAt += this.resetStep
    return { current: block.current, ttl: Math.max(0, Math.ceil(block.resetAt - now)) }
  }
}
