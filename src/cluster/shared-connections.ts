// A cluster worker's connection ledger (`security.connections` with `server.workers` > 1):
// the count lives in the primary (connection-counts.ts), so `perIp` and `total` are one
// limit for the whole gateway. The gate holds each new socket, unread, until the verdict.
//
// Admits made in one turn of the event loop travel in one IPC message and come back in
// one answer; while a batch is on its way, new admits wait for its answer and go
// together (as shared-client.ts does for rate-limit checks). Releases are one-way
// messages, batched the same way and sent before the next admits, so a place freed in
// this turn is free for them.
//
// The primary late (no answer within VERDICT_DEADLINE_MS of the admit) or gone never holds a
// connection: the waiting admits, and every admit until the primary answers again, are
// decided here against this worker's own connections (each worker then enforces the
// limits on its own share, so the gateway holds at most N × the limit). When the late
// answer comes, the places the primary counted for admits already decided here are
// given back to it at once: those connections count only here, and the primary's count
// never keeps a place no connection holds. A worker that dies gives back all its places
// (the primary drops its counts when it exits).
import { LocalConnectionLedger, type Admission, type ConnectionLedger } from '../edge/connection-ledger.js'
import type { Endpoint, IpcRoutes } from './ipc.js'
import { BLOCK_MAX } from './lease-terms.js'
import { KIND } from './protocol.js'

/** How long a connection may wait for the primary's verdict before this worker decides. */
export const VERDICT_DEADLINE_MS = 1000
/** The IPC timeout proper: long, since a late answer is still needed to give places back. */
const ANSWER_TIMEOUT_MS = 60_000

/** The verdicts on the wire, by index. */
export const VERDICTS: readonly Admission[] = ['admitted', 'per-ip', 'total']
/** A limit on the wire: JSON has no Infinity. */
export const NO_LIMIT = -1
const wire = (limit: number): number => Number.isFinite(limit) ? limit : NO_LIMIT
const limit = (n: number): number => n === NO_LIMIT ? Infinity : n
/** A block not drawn on for this long goes back to the primary. */
const SWEEP_MS = 1000

/** Places of one address the primary counts for this worker and no connection holds. */
interface Block {
  free: number
  /** Drawn on since the last sweep. */
  used: boolean
  /** The limits it was granted under. */
  readonly perIp: number
  readonly total: number
}

interface Batch {
  /** [address, perIp, total, wantsBlock, …] */
  readonly calls: Array<string | number | null>
  readonly waiting: Array<(verdict: Admission) => void>
  /** True once the deadline passed and this worker decided the batch itself. */
  decided: boolean
  /** When its first admit was queued: the deadline counts from then, not from the send. */
  since: number
}

export class SharedConnectionLedger implements ConnectionLedger {
  /** Every connection this worker holds, counted by the primary or only here. */
  private readonly mine = new LocalConnectionLedger()
  /** Of those, the ones only this worker counts (admitted while the primary was late), by address. */
  private readonly localOnly = new Map<string | null, number>()
  private queued: Batch = SharedConnectionLedger.batch()
  private releases: Array<string | null> = []
  /** Blocks given back: [address, places, …]. */
  private returns: Array<string | number | null> = []
  private readonly blocks = new Map<string | null, Block>()
  /** Addresses with an admit on its way that asks for a block: ask once. */
  private readonly asking = new Set<string | null>()
  /** Addresses admitted without a block since the last sweep. */
  private readonly seen = new Set<string | null>()
  private sweeper: NodeJS.Timeout | null = null
  private scheduled = false
  private inFlight: Batch | null = null

  /** `routes`: the worker's routes, on which the primary's recalls arrive. */
  constructor (private readonly primary: Endpoint, routes?: IpcRoutes) {
    routes?.listen<Array<string | null>>(KIND.connectionsRecall, (addresses) => {
      for (const address of addresses) {
        const block = this.blocks.get(address)
        if (block !== undefined) this.giveBackBlock(address, block)
      }
    })
  }

  private static batch (): Batch {
    return { calls: [], waiting: [], decided: false, since: 0 }
  }

  /** This worker's connections (the gateway's are the primary's). */
  get open (): number { return this.mine.open }
  get addresses (): number { return this.mine.addresses }

  admit (address: string | null, perIp: number, total: number): Admission | Promise<Admission> {
    const block = this.blocks.get(address)
    if (block !== undefined) {
      if (block.perIp === perIp && block.total === total) {
        if (block.free > 0) {
          block.free--
          block.used = true
          this.mine.admit(address, Infinity, Infinity)
          return 'admitted'
        }
      } else {
        this.giveBackBlock(address, block) // a reload changed the limits
      }
    }
    if (this.inFlight?.decided === true) return this.decideHere(address, perIp, total)
    const wants = !this.asking.has(address) && this.busy(address)
    if (wants) this.asking.add(address)
    return new Promise((resolve) => {
      if (this.queued.waiting.length === 0) this.queued.since = Date.now()
      this.queued.calls.push(address, wire(perIp), wire(total), wants ? 1 : 0)
      this.queued.waiting.push(resolve)
      this.schedule()
    })
  }

  release (address: string | null): void {
    this.mine.release(address)
    const here = this.localOnly.get(address)
    if (here !== undefined) {
      if (here > 1) this.localOnly.set(address, here - 1)
      else this.localOnly.delete(address)
      return
    }
    const block = this.blocks.get(address)
    if (block !== undefined && block.free < BLOCK_MAX) {
      block.free++ // the place stays this worker's, for the next connection
      return
    }
    this.releases.push(address)
    this.schedule()
  }

  /**
   * An address worth a block: it holds a connection here already, or came within the
   * last sweep interval. A client seen once (most of a spray of addresses) asks for
   * none, so the primary sets no places aside for it.
   */
  private busy (address: string | null): boolean {
    if (this.seen.has(address) || (address !== null && this.mine.countOf(address) > 0)) return true
    this.seen.add(address)
    this.startSweeper()
    return false
  }

  private startSweeper (): void {
    if (this.sweeper !== null) return
    this.sweeper = setInterval(this.sweep, SWEEP_MS)
    this.sweeper.unref()
  }

  private giveBackBlock (address: string | null, block: Block): void {
    this.blocks.delete(address)
    this.returns.push(address, block.free)
    this.schedule()
  }

  /** Every SWEEP_MS: blocks nobody drew on since the last sweep go back. */
  private readonly sweep = (): void => {
    for (const [address, block] of this.blocks) {
      if (block.used) block.used = false
      else this.giveBackBlock(address, block)
    }
    this.seen.clear()
    if (this.blocks.size === 0 && this.sweeper !== null) {
      clearInterval(this.sweeper)
      this.sweeper = null
    }
  }

  private grant (address: string | null, places: number, perIp: number, total: number): void {
    if (places === 0) return
    const block = this.blocks.get(address)
    if (block !== undefined && block.perIp === perIp && block.total === total) {
      block.free += places
    } else {
      if (block !== undefined) this.giveBackBlock(address, block)
      this.blocks.set(address, { free: places, used: true, perIp, total })
    }
    this.startSweeper()
  }

  /** An admit the primary never sees: against this worker's own connections. */
  private decideHere (address: string | null, perIp: number, total: number): Admission {
    const verdict = this.mine.admit(address, perIp, total)
    if (verdict === 'admitted') this.localOnly.set(address, (this.localOnly.get(address) ?? 0) + 1)
    return verdict
  }

  private schedule (): void {
    if (this.scheduled) return
    if (this.releases.length === 0 && this.returns.length === 0 && (this.inFlight !== null || this.queued.waiting.length === 0)) return
    this.scheduled = true
    setImmediate(this.flush)
  }

  private readonly flush = (): void => {
    this.scheduled = false
    if (this.releases.length > 0) {
      this.primary.cast(KIND.connectionsRelease, this.releases)
      this.releases = []
    }
    if (this.returns.length > 0) {
      this.primary.cast(KIND.connectionsReturn, this.returns)
      this.returns = []
    }
    if (this.inFlight !== null || this.queued.waiting.length === 0) return
    const batch = this.queued
    this.queued = SharedConnectionLedger.batch()
    this.inFlight = batch
    const deadline = setTimeout(() => { this.late(batch) }, Math.max(0, batch.since + VERDICT_DEADLINE_MS - Date.now()))
    this.primary.request<number[]>(KIND.connectionsAdmit, batch.calls, ANSWER_TIMEOUT_MS).then((answers) => {
      clearTimeout(deadline)
      if (batch.decided) this.giveBack(batch, answers)
      else this.settle(batch, answers)
    }, () => {
      // No answer at all (the channel closed, or the primary failed): it counted nothing
      // we can give back; decide here.
      clearTimeout(deadline)
      if (!batch.decided) this.late(batch)
    }).finally(() => {
      this.inFlight = null
      this.schedule()
    })
  }

  private settle (batch: Batch, answers: readonly number[]): void {
    const { calls } = batch
    for (let i = 0; i < batch.waiting.length; i++) {
      const address = calls[4 * i] as string | null
      if (calls[4 * i + 3] === 1) this.asking.delete(address)
      const verdict = VERDICTS[answers[2 * i] ?? 0] ?? 'admitted'
      if (verdict === 'admitted') {
        this.mine.admit(address, Infinity, Infinity)
        this.grant(address, answers[2 * i + 1] ?? 0, limit(calls[4 * i + 1] as number), limit(calls[4 * i + 2] as number))
      }
      batch.waiting[i]!(verdict)
    }
  }

  /** The deadline passed: this worker decides the batch (and what comes until the answer). */
  private late (batch: Batch): void {
    batch.decided = true
    this.decideAllHere(batch)
    // The admits queued behind it would wait for the same answer: decided here too.
    const queued = this.queued
    this.queued = SharedConnectionLedger.batch()
    this.decideAllHere(queued)
  }

  private decideAllHere ({ calls, waiting }: Batch): void {
    for (let i = 0; i < waiting.length; i++) {
      const address = calls[4 * i] as string | null
      if (calls[4 * i + 3] === 1) this.asking.delete(address)
      waiting[i]!(this.decideHere(address, limit(calls[4 * i + 1] as number), limit(calls[4 * i + 2] as number)))
    }
  }

  /** A late answer: the places the primary counted for admits decided here (and any block) go back to it. */
  private giveBack (batch: Batch, answers: readonly number[]): void {
    for (let i = 0; i < batch.waiting.length; i++) {
      if (answers[2 * i] !== 0) continue
      const address = batch.calls[4 * i] as string | null
      for (let n = 1 + (answers[2 * i + 1] ?? 0); n > 0; n--) this.releases.push(address)
    }
  }
}
