// The primary's side of the gateway-wide connection limits (`security.connections` with
// `server.workers` > 1): one ledger for every worker's connections, answering the
// workers' batched admits and taking their batched releases (shared-connections.ts).
// Each worker's places are counted apart too, so a worker that exits (killed, crashed,
// drained) gives back every place it held: its sockets died with it.
//
// While an address and the gateway are far from their limits, an admit that asks for
// it also gets a block of places (lease-terms.ts): counted here as held by that worker,
// which then admits that address's next connections on its own, and keeps the place
// of a connection that closes for the next one. Every open connection still holds a
// place counted here, so the limits are never passed. When an address (or the total)
// comes close to its limit, the workers holding blocks of it (of any address) are
// asked to give back what they do not use, and from then on it is admitted here one
// connection at a time, exactly as without blocks.
import { LocalConnectionLedger } from '../edge/connection-ledger.js'
import type { Endpoint } from './ipc.js'
import { blockFor } from './lease-terms.js'
import { KIND } from './protocol.js'
import { NO_LIMIT, VERDICTS } from './shared-connections.js'

const limit = (n: number): number => n === NO_LIMIT ? Infinity : n

/** A recall of every address's blocks. */
const EVERY = Symbol('every address')

export class ConnectionCounts {
  private readonly ledger = new LocalConnectionLedger()
  /** Each worker's places, by address (null: counted in the total only). */
  private readonly byWorker = new Map<Endpoint, Map<string | null, number>>()
  /** The workers that may hold a block of places of each address. */
  private readonly holders = new Map<string | null, Set<Endpoint>>()
  private recalls = new Map<Endpoint, Set<string | null>>()
  private recallScheduled = false

  /** `workers`: how many share the limits (a block is a share of what is left per worker). */
  constructor (private readonly workers: () => number = () => 1) {}

  /** The gateway's places held (open connections and the workers' unused blocks), and the addresses that hold some. */
  get open (): number { return this.ledger.open }
  get addresses (): number { return this.ledger.addresses }

  /** Answers `[address, perIp, total, wantsBlock, …]` with `[verdict index, places granted, …]`. */
  admit (from: Endpoint, calls: ReadonlyArray<string | number | null>): number[] {
    const held = this.heldBy(from)
    const out: number[] = []
    for (let i = 0; i < calls.length; i += 4) {
      const address = calls[i] as string | null
      const perIp = limit(calls[i + 1] as number)
      const total = limit(calls[i + 2] as number)
      const verdict = this.ledger.admit(address, perIp, total)
      let granted = 0
      if (verdict === 'admitted') {
        held.set(address, (held.get(address) ?? 0) + 1)
        granted = this.lend(from, held, address, perIp, total, calls[i + 3] === 1)
      } else {
        this.recall(verdict === 'total' ? EVERY : address)
      }
      out.push(VERDICTS.indexOf(verdict), granted)
    }
    return out
  }

  /** Gives back places `from` holds (one per address listed); ignores any it does not hold. */
  release (from: Endpoint, addresses: ReadonlyArray<string | null>): void {
    const held = this.byWorker.get(from)
    if (held === undefined) return
    for (const address of addresses) this.releaseOne(held, address)
  }

  /** `[address, places, …]`: a worker gives back the unused block of each address, and holds none of it any more. */
  giveBack (from: Endpoint, returns: ReadonlyArray<string | number | null>): void {
    const held = this.byWorker.get(from)
    for (let i = 0; i < returns.length; i += 2) {
      const address = returns[i] as string | null
      const holders = this.holders.get(address)
      holders?.delete(from)
      if (holders?.size === 0) this.holders.delete(address)
      if (held !== undefined) for (let n = returns[i + 1] as number; n > 0; n--) this.releaseOne(held, address)
    }
  }

  /** A worker exited: every place it held is free. */
  drop (from: Endpoint): void {
    for (const [address, holders] of this.holders) {
      holders.delete(from)
      if (holders.size === 0) this.holders.delete(address)
    }
    this.recalls.delete(from)
    const held = this.byWorker.get(from)
    if (held === undefined) return
    this.byWorker.delete(from)
    for (const [address, n] of held) for (let i = 0; i < n; i++) this.ledger.release(address)
  }

  private heldBy (from: Endpoint): Map<string | null, number> {
    let held = this.byWorker.get(from)
    if (held === undefined) {
      held = new Map()
      this.byWorker.set(from, held)
    }
    return held
  }

  private releaseOne (held: Map<string | null, number>, address: string | null): void {
    const n = held.get(address)
    if (n === undefined) return
    if (n > 1) held.set(address, n - 1)
    else held.delete(address)
    this.ledger.release(address)
  }

  /** A block of places for `address` to `from` if it asks and both limits are far; otherwise recalls what is near. */
  private lend (from: Endpoint, held: Map<string | null, number>, address: string | null, perIp: number, total: number, wants: boolean): number {
    const workers = this.workers()
    const totalRoom = total - this.ledger.open
    if (blockFor(totalRoom, workers) === 0) {
      this.recall(EVERY)
      return 0
    }
    const room = address === null ? totalRoom : Math.min(totalRoom, perIp - this.ledger.countOf(address))
    const block = blockFor(room, workers)
    if (block === 0) {
      this.recall(address)
      return 0
    }
    if (!wants) return 0
    for (let n = 0; n < block; n++) this.ledger.admit(address, Infinity, Infinity)
    held.set(address, (held.get(address) ?? 0) + block)
    let holders = this.holders.get(address)
    if (holders === undefined) {
      holders = new Set()
      this.holders.set(address, holders)
    }
    holders.add(from)
    return block
  }

  /**
   * Asks the holders of blocks of `address` (EVERY: of any address) to give them back.
   * Sent after this turn's answers (setImmediate): a block granted in this turn
   * reaches its worker before the recall of it does, on the same ordered channel.
   */
  private recall (address: string | null | typeof EVERY): void {
    const targets = address === EVERY ? [...this.holders.keys()] : [address]
    for (const target of targets) {
      const holders = this.holders.get(target)
      if (holders === undefined) continue
      this.holders.delete(target)
      for (const to of holders) {
        let list = this.recalls.get(to)
        if (list === undefined) {
          list = new Set()
          this.recalls.set(to, list)
        }
        list.add(target)
      }
    }
    if (this.recallScheduled || this.recalls.size === 0) return
    this.recallScheduled = true
    setImmediate(() => {
      this.recallScheduled = false
      const recalls = this.recalls
      this.recalls = new Map()
      for (const [to, addresses] of recalls) to.cast(KIND.connectionsRecall, [...addresses])
    })
  }
}
