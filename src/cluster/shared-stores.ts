// The primary's side of the gateway-wide rate limits and DDoS counts without Redis:
// the one set of in-process stores (the same LocalStore and LocalDdosStore a single
// process uses, bounded LRUs), answering the workers' batched checks (shared-client.ts).
// A store is keyed by every setting it depends on, so a reload that leaves a limit
// alone keeps its counters, and one that changes it starts fresh.
import { LocalDdosStore } from '../ddos/local-store.js'
import { LocalStore } from '../rate-limit/local-store.js'
import type { Endpoint } from './ipc.js'
import type { StoreDefinition } from './shared-client.js'

type Answer = (key: string, out: number[]) => void

interface Store { readonly answer: Answer, close (): void }

function makeStore (definition: StoreDefinition): Store {
  if ('rate' in definition) {
    const store = new LocalStore(definition.rate)
    return { answer: (key, out) => { const v = store.check(key); out.push(v.current, v.ttl) }, close: () => { store.close() } }
  }
  const store = new LocalDdosStore(definition.ddos)
  return { answer: (ip, out) => { out.push(store.hit(ip), 0) }, close: () => { store.close() } }
}

export class SharedStores {
  private readonly stores = new Map<string, Store>()
  /** Each worker's store ids (a worker numbers its stores itself). */
  private readonly byWorker = new WeakMap<Endpoint, Map<number, Store>>()
  /** Keys defined since the last reload began: what the next generation uses. */
  private fresh = new Set<string>()

  define (from: Endpoint, definition: StoreDefinition): void {
    let store = this.stores.get(definition.key)
    if (store === undefined) {
      store = makeStore(definition)
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

  /** Answers a batch `[id, key, id, key, …]` with `[a, b, a, b, …]`, one pair per check. */
  batch (from: Endpoint, calls: ReadonlyArray<number | string>): number[] {
    const ids = this.byWorker.get(from)
    const out: number[] = []
    for (let i = 0; i < calls.length; i += 2) {
      const store = ids?.get(calls[i] as number)
      if (store === undefined) out.push(0, 0) // never defined: admit (cannot happen on an ordered channel)
      else store.answer(calls[i + 1] as string, out)
    }
    return out
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
}
