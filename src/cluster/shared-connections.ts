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
import type { Endpoint } from './ipc.js'
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

interface Batch {
  /** [address, perIp, total, address, perIp, total, …] */
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
  private scheduled = false
  private inFlight: Batch | null = null

  constructor (private readonly primary: Endpoint) {}

  private static batch (): Batch {
    return { calls: [], waiting: [], decided: false, since: 0 }
  }

  /** This worker's connections (the gateway's are the primary's). */
  get open (): number { return this.mine.open }
  get addresses (): number { return this.mine.addresses }

  admit (address: string | null, perIp: number, total: number): Admission | Promise<Admission> {
    if (this.inFlight?.decided === true) return this.decideHere(address, perIp, total)
    return new Promise((resolve) => {
      if (this.queued.waiting.length === 0) this.queued.since = Date.now()
      this.queued.calls.push(address, wire(perIp), wire(total))
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
    this.releases.push(address)
    this.schedule()
  }

  /** An admit the primary never sees: against this worker's own connections. */
  private decideHere (address: string | null, perIp: number, total: number): Admission {
    const verdict = this.mine.admit(address, perIp, total)
    if (verdict === 'admitted') this.localOnly.set(address, (this.localOnly.get(address) ?? 0) + 1)
    return verdict
  }

  private schedule (): void {
    if (this.scheduled) return
    if (this.releases.length === 0 && (this.inFlight !== null || this.queued.waiting.length === 0)) return
    this.scheduled = true
    setImmediate(this.flush)
  }

  private readonly flush = (): void => {
    this.scheduled = false
    if (this.releases.length > 0) {
      this.primary.cast(KIND.connectionsRelease, this.releases)
      this.releases = []
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
    for (let i = 0; i < batch.waiting.length; i++) {
      const verdict = VERDICTS[answers[i] ?? 0] ?? 'admitted'
      if (verdict === 'admitted') this.mine.admit(batch.calls[3 * i] as string | null, Infinity, Infinity)
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
    const limit = (n: number): number => n === NO_LIMIT ? Infinity : n
    for (let i = 0; i < waiting.length; i++) {
      waiting[i]!(this.decideHere(calls[3 * i] as string | null, limit(calls[3 * i + 1] as number), limit(calls[3 * i + 2] as number)))
    }
  }

  /** A late answer: the places the primary counted for admits decided here go back to it. */
  private giveBack (batch: Batch, answers: readonly number[]): void {
    for (let i = 0; i < batch.waiting.length; i++) {
      if (answers[i] === 0) this.releases.push(batch.calls[3 * i] as string | null)
    }
  }
}
