// The count of open client connections, per peer address and in total, behind one small
// interface: the listener's gate asks `admit` on accept and calls `release` on close,
// and never knows where the count lives. This process's Map is one ledger; with
// `server.workers` a ledger owned by the primary (over IPC) makes each limit one limit
// for the whole gateway, so `admit` may answer with a promise.

/** A connection counted ('admitted'), or the limit that refuses it (counted as nothing). */
export type Admission = 'admitted' | 'per-ip' | 'total'

export interface ConnectionLedger {
  /**
   * Counts a connection unless that would pass a limit. `address` null: the connection
   * counts in the total only (exempt and trusted peers); `perIp` and `total` are the
   * current generation's limits (Infinity: none).
   */
  admit (address: string | null, perIp: number, total: number): Admission | Promise<Admission>
  /** Gives back one admitted connection, with the address it was admitted under. */
  release (address: string | null): void
  /** Connections counted now. */
  readonly open: number
  /** Addresses with at least one counted connection (the per-address entries held). */
  readonly addresses: number
}

/** The ledger of one process: a counter and a Map whose entries go with their last connection. */
export class LocalConnectionLedger implements ConnectionLedger {
  private count = 0
  private readonly byAddress = new Map<string, number>()

  get open (): number {
    return this.count
  }

  get addresses (): number {
    return this.byAddress.size
  }

  admit (address: string | null, perIp: number, total: number): Admission {
    // Per address first: an address over its own limit is told to slow down (429) even
    // when the gateway is also full.
    if (address !== null) {
      const n = this.byAddress.get(address) ?? 0
      if (n >= perIp) return 'per-ip'
      if (this.count >= total) return 'total'
      this.byAddress.set(address, n + 1)
    } else if (this.count >= total) {
      return 'total'
    }
    this.count++
    return 'admitted'
  }

  /** Connections counted for `address` now. */
  countOf (address: string): number {
    return this.byAddress.get(address) ?? 0
  }

  release (address: string | null): void {
    this.count--
    if (address === null) return
    const n = this.byAddress.get(address) ?? 0
    if (n > 1) this.byAddress.set(address, n - 1)
    else this.byAddress.delete(address)
  }
}
