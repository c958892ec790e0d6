// The primary's side of the gateway-wide rate limits and DDoS counts without Redis:
// one set of in-process stores, answering the workers' batched checks (shared-client.ts).
// Both lend the workers blocks of budget while a key is far from its limit
// (rate-leases.ts, ddos-leases.ts). A store is keyed by
// every setting it depends on, so a reload that leaves a limit alone keeps its
// counters, and one that changes it starts fresh.
import type { Endpoint, IpcRoutes } from './ipc.js'
import { KIND } from './protocol.js'
import { DdosLeases } from './ddos-leases.js'
import { RateLeases } from './rate-leases.js'
import type { StoreDefinition } from './shared-client.js'

interface Store {
  answer (from: Endpoint, id: number, key: string, op: number, out: number[]): void
  giveBack (key: string, units: number, end: number): void
  close (): void
}

export class SharedStores {
  private readonly stores = new Map<string, Store>()
  /** Each worker's store ids (a worker numbers its stores itself). */
  private readonly byWorker = new WeakMap<Endpoint, Map<number, Store>>()
  /** Keys defined since the last reload began: what the next generation uses. */
  private fresh = new Set<string>()
  /** Recalls of this turn, by worker: [id, key, id, key, …], sent after this turn's answers. */
  private recalls = new Map<Endpoint, Array<number | string>>()
  private recallScheduled = false

  /** `workers`: how many workers share the limits (a block is a share of what is left per worker). */
  constructor (private readonly workers: () => number = () => 1) {}

  /** Answers the workers' messages about the stores on `routes`. */
  serve (routes: IpcRoutes): this {
    routes
      .listen<StoreDefinition>(KIND.define, (definition, from) => { this.define(from, definition) })
      .handle<Array<number | string>, number[]>(KIND.batch, (calls, from) => this.batch(from, calls))
      .listen<Array<number | string>>(KIND.giveBack, (returns, from) => { this.giveBack(from, returns) })
    return this
  }

  define (from: Endpoint, definition: StoreDefinition): void {
    let store = this.stores.get(definition.key)
    if (store === undefined) {
      const recall = (to: Endpoint, id: number, key: string): void => { this.recall(to, id, key) }
      store = 'rate' in definition
        ? new RateLeases(definition.rate, this.workers, recall)
        : new DdosLeases(definition.ddos, this.workers, recall)
      this.stores.set(definition.key, store)
    }
    this.fresh.add(definition.key)
    let ids = this.byWorker.get(from)
    if (ids === undefined) {
      ids = new Map()
      this.byWorker.set(from, ids)
    }
    ids.set(definition.id, store)
  }

  /** Answers a batch `[id, key, op, …]` with `[current, ttl, granted, end, …]`, four per entry. */
  batch (from: Endpoint, calls: ReadonlyArray<number | string>): number[] {
    const ids = this.byWorker.get(from)
    const out: number[] = []
    for (let i = 0; i < calls.length; i += 3) {
      const id = calls[i] as number
      const store = ids?.get(id)
      if (store === undefined) out.push(0, 0, 0, 0) // never defined: admit (cannot happen on an ordered channel)
      else store.answer(from, id, calls[i + 1] as string, calls[i + 2] as number, out)
    }
    return out
  }

  /** A worker's unused units: `[id, key, units, end, …]`. */
  giveBack (from: Endpoint, returns: ReadonlyArray<number | string>): void {
    const ids = this.byWorker.get(from)
    for (let i = 0; i < returns.length; i += 4) {
      ids?.get(returns[i] as number)?.giveBack(returns[i + 1] as string, returns[i + 2] as number, returns[i + 3] as number)
    }
  }

  /** A reload begins: start noting which stores the new generation defines. */
  beginReload (): void {
    this.fresh = new Set()
  }

  /** Every worker switched: the stores no worker defined for the new generation are closed. */
  sweep (): void {
    for (const [key, store] of this.stores) {
      if (this.fresh.has(key)) continue
      this.stores.delete(key)
      store.close()
    }
  }

  close (): void {
    for (const store of this.stores.values()) store.close()
    this.stores.clear()
  }

  /**
   * Recalls go after this turn's answers (setImmediate): a block granted in this turn
   * reaches its worker before the recall of it does, on the same ordered channel.
   */
  private recall (to: Endpoint, id: number, key: string): void {
    let list = this.recalls.get(to)
    if (list === undefined) {
      list = []
      this.recalls.set(to, list)
    }
    list.push(id, key)
    if (this.recallScheduled) return
    this.recallScheduled = true
    setImmediate(() => {
      this.recallScheduled = false
      const recalls = this.recalls
      this.recalls = new Map()
      for (const [endpoint, body] of recalls) endpoint.cast(KIND.recall, body)
    })
  }
}
