// A cluster worker's side of the gateway-wide rate limits and DDoS counts (used when
// there is no Redis): each check goes to the primary, which keeps the one set of
// counters (shared-stores.ts). Checks are batched: every check made in one turn of the
// event loop travels in one IPC message and comes back in one answer. While a batch is
// on its way, new checks wait for its answer and then go together (as Nagle's
// algorithm does for small packets): an idle gateway sends each check at once, a busy
// one sends fewer, larger batches, since a message costs far more than a check.
//
// The primary unreachable (it is going away, or too slow) never fails a request: the
// check is answered from a local store, as a Redis outage is.
import { LocalDdosStore } from '../ddos/local-store.js'
import type { DdosSettings } from '../ddos/settings.js'
import type { SharedEdge } from '../edge/shared.js'
import type { Verdict } from '../rate-limit/algorithms.js'
import { LocalStore, type RateStore } from '../rate-limit/local-store.js'
import { keepKey, type RateRule } from '../rate-limit/rule.js'
import type { Endpoint } from './ipc.js'
import { KIND } from './protocol.js'

/** What the primary needs to make a store: its key (every setting it depends on) and settings. */
export type StoreDefinition =
  | { readonly id: number, readonly key: string, readonly rate: RateRule }
  | { readonly id: number, readonly key: string, readonly ddos: DdosSettings }

/** How long a batch may wait for the primary before the local fallback answers it. */
const BATCH_TIMEOUT_MS = 1000

interface Fallback { answer (key: string): [number, number] }

export class SharedClient implements SharedEdge {
  private readonly ids = new Map<string, number>()
  private readonly fallbacks = new Map<number, Fallback>()
  /** Store id and key of each queued check, flat: [id, key, id, key, …]. */
  private calls: Array<number | string> = []
  private waiting: Array<(answer: [number, number]) => void> = []
  private scheduled = false
  private inFlight = false

  constructor (private readonly primary: Endpoint) {}

  rateStore (rule: RateRule): RateStore {
    const local = new LocalStore(rule)
    const id = this.define(keepKey(rule), { rate: rule }, { answer: (key) => { const v = local.check(key); return [v.current, v.ttl] } })
    return {
      check: async (key): Promise<Verdict> => {
        const [current, ttl] = await this.call(id, key)
        return { current, ttl }
      }
    }
  }

  ddosCheck (settings: DdosSettings): (ip: string) => Promise<number> {
    const local = new LocalDdosStore(settings)
    const { threshold, window, blockFor } = settings
    const id = this.define(`ddos:${threshold}:${window}:${blockFor}`, { ddos: { threshold, window, blockFor } }, { answer: (ip) => [local.hit(ip), 0] })
    return async (ip) => (await this.call(id, ip))[0]
  }

  /** Tells the primary about a store (again on every build: it keeps what the running generation defined). */
  private define (key: string, settings: { rate: RateRule } | { ddos: DdosSettings }, fallback: Fallback): number {
    let id = this.ids.get(key)
    if (id === undefined) {
      id = this.ids.size + 1
      this.ids.set(key, id)
    }
    this.fallbacks.set(id, fallback)
    this.primary.cast(KIND.define, { id, key, ...settings })
    return id
  }

  private async call (id: number, key: string): Promise<[number, number]> {
    return await new Promise((resolve) => {
      this.calls.push(id, key)
      this.waiting.push(resolve)
      this.schedule()
    })
  }

  /** Sends the queue after this turn of the event loop, unless a batch is still waiting for its answer. */
  private schedule (): void {
    if (this.scheduled || this.inFlight || this.waiting.length === 0) return
    this.scheduled = true
    setImmediate(this.flush)
  }

  private readonly flush = (): void => {
    this.scheduled = false
    this.inFlight = true
    const calls = this.calls
    const waiting = this.waiting
    this.calls = []
    this.waiting = []
    this.primary.request<number[]>(KIND.batch, calls, BATCH_TIMEOUT_MS).then((answers) => {
      for (let i = 0; i < waiting.length; i++) waiting[i]!([answers[2 * i]!, answers[2 * i + 1]!])
    }, () => {
      for (let i = 0; i < waiting.length; i++) {
        const fallback = this.fallbacks.get(calls[2 * i] as number)
        waiting[i]!(fallback?.answer(calls[2 * i + 1] as string) ?? [0, 0])
      }
    }).finally(() => {
      this.inFlight = false
      this.schedule()
    })
  }
}
