// The primary's side of the gateway-wide connection limits (`security.connections` with
// `server.workers` > 1): one ledger for every worker's connections, answering the
// workers' batched admits and taking their batched releases (shared-connections.ts).
// Each worker's places are counted apart too, so a worker that exits (killed, crashed,
// drained) gives back every place it held: its sockets died with it.
import { LocalConnectionLedger } from '../edge/connection-ledger.js'
import type { Endpoint } from './ipc.js'
import { NO_LIMIT, VERDICTS } from './shared-connections.js'

const limit = (n: number): number => n === NO_LIMIT ? Infinity : n

export class ConnectionCounts {
  private readonly ledger = new LocalConnectionLedger()
  /** Each worker's places, by address (null: counted in the total only). */
  private readonly byWorker = new Map<Endpoint, Map<string | null, number>>()

  /** The gateway's open connections, and the addresses that hold some. */
  get open (): number { return this.ledger.open }
  get addresses (): number { return this.ledger.addresses }

  /** Answers `[address, perIp, total, …]` with one verdict index per admit. */
  admit (from: Endpoint, calls: ReadonlyArray<string | number | null>): number[] {
    let held = this.byWorker.get(from)
    if (held === undefined) {
      held = new Map()
      this.byWorker.set(from, held)
    }
    const out: number[] = []
    for (let i = 0; i < calls.length; i += 3) {
      const address = calls[i] as string | null
      const verdict = this.ledger.admit(address, limit(calls[i + 1] as number), limit(calls[i + 2] as number))
      if (verdict === 'admitted') held.set(address, (held.get(address) ?? 0) + 1)
      out.push(VERDICTS.indexOf(verdict))
    }
    return out
  }

  /** Gives back places `from` holds (one per address listed); ignores any it does not hold. */
  release (from: Endpoint, addresses: ReadonlyArray<string | null>): void {
    const held = this.byWorker.get(from)
    if (held === undefined) return
    for (const address of addresses) {
      const n = held.get(address)
      if (n === undefined) continue
      if (n > 1) held.set(address, n - 1)
      else held.delete(address)
      this.ledger.release(address)
    }
  }

  /** A worker exited: every place it held is free. */
  drop (from: Endpoint): void {
    const held = this.byWorker.get(from)
    if (held === undefined) return
    this.byWorker.delete(from)
    for (const [address, n] of held) for (let i = 0; i < n; i++) this.ledger.release(address)
  }
}
