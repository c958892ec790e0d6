// A cluster worker's side of the gateway-wide rate limits and DDoS counts (used when
// there is no Redis): the primary keeps the one set of counters (shared-stores.ts).
// A rate limit or DDoS count far from its limit is admitted here from blocks of budget
// the primary lends (worker-blocks.ts); every other check goes to the primary. Those checks
// are batched: every check made in one turn of the event loop travels in one IPC
// message and comes back in one answer. While a batch is on its way, new checks wait
// for its answer and then go together (as Nagle's algorithm does for small packets):
// an idle gateway sends each check at once, a busy one sends fewer, larger batches,
// since a message costs far more than a check.
//
// The primary unreachable (it is going away, or too slow) never fails a request: the
// check is answered from a local store, as a Redis outage is.
import { LocalDdosStore } from '../ddos/local-store.js'
import type { DdosSettings } from '../ddos/settings.js'
import type { SharedEdge } from '../edge/shared.js'
import { LocalStore, type RateStore } from '../rate-limit/local-store.js'
import { keepKey, type RateRule } from '../rate-limit/rule.js'
import type { Endpoint, IpcRoutes } from './ipc.js'
import { OP } from './lease-terms.js'
import { KIND } from './protocol.js'
import { WorkerBlocks, type LeaseCalls } from './worker-blocks.js'
import { WorkerRateLeases } from './worker-rate-leases.js'

/** What the primary needs to make a store: its key (every setting it depends on) and settings. */
export type StoreDefinition =
  | { readonly id: number, readonly key: string, readonly rate: RateRule }
  | { readonly id: number, readonly key: string, readonly ddos: DdosSettings }

/** How long a batch may wait for the primary before the local fallback answers it. */
const BATCH_TIMEOUT_MS = 1000

interface Fallback { answer (key: string): [number, number] }

/** An answer: `answers[at…at+3]` is current, ttl, granted, end. */
interface Answer { answers: readonly number[], at: number }

export class SharedClient implements SharedEdge {
  private readonly ids = new Map<string, number>()
  private readonly fallbacks = new Map<number, Fallback>()
  /** Each store's blocks, by store id (one numbering for both kinds): the primary's recalls name the id. */
  private readonly rateBlocks = new Map<number, WorkerRateLeases>()
  private readonly ddosBlocks = new Map<number, WorkerBlocks>()
  /** Each queued check, flat: [id, key, op, id, key, op, …]. */
  private calls: Array<number | string> = []
  private waiting: Array<(answer: Answer) => void> = []
  /** Unused units to give back, flat: [id, key, units, end, …]. */
  private returns: Array<number | string> = []
  private scheduled = false
  private inFlight = false
  private readonly leaseCalls: LeaseCalls = {
    call: async (id, key, op) => await this.call(id, key, op),
    giveBack: (id, key, units, end) => {
      this.returns.push(id, key, units, end)
      this.schedule()
    }
  }

  /** `routes`: the worker's routes, on which the primary's recalls arrive. */
  constructor (private readonly primary: Endpoint, routes?: IpcRoutes) {
    routes?.listen<Array<number | string>>(KIND.recall, (body) => { this.recall(body) })
  }

  rateStore (rule: RateRule): RateStore {
    const local = new LocalStore(rule)
    const id = this.define(keepKey(rule), { rate: rule }, { answer: (key) => { const v = local.check(key); return [v.current, v.ttl] } })
    let leases = this.rateBlocks.get(id)
    if (leases === undefined) {
      leases = new WorkerRateLeases(rule, id, this.leaseCalls)
      this.rateBlocks.set(id, leases)
    }
    const mine = leases
    return { check: (key) => mine.check(key) }
  }

  ddosCheck (settings: DdosSettings): (ip: string) => number | Promise<number> {
    const local = new LocalDdosStore(settings)
    const { threshold, window, blockFor } = settings
    const id = this.define(`ddos:${threshold}:${window}:${blockFor}`, { ddos: { threshold, window, blockFor } }, { answer: (ip) => [local.hit(ip), 0] })
    let blocks = this.ddosBlocks.get(id)
    if (blocks === undefined) {
      blocks = new WorkerBlocks(id, this.leaseCalls)
      this.ddosBlocks.set(id, blocks)
    }
    const mine = blocks
    // An address far from the threshold is admitted from its block; else the primary counts.
    return (ip) => mine.draw(ip, Date.now()) !== undefined ? 0 : mine.ask(ip).then(({ answers, at }) => answers[at]!)
  }

  /** The primary's recall `[id, key, id, key, …]`: the unused units of those keys go back. */
  recall (body: ReadonlyArray<number | string>): void {
    for (let i = 0; i < body.length; i += 2) {
      const id = body[i] as number
      ;(this.rateBlocks.get(id) ?? this.ddosBlocks.get(id))?.recall(body[i + 1] as string)
    }
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

  private async call (id: number, key: string, op: number): Promise<Answer> {
    return await new Promise((resolve) => {
      this.calls.push(id, key, op)
      this.waiting.push(resolve)
      this.schedule()
    })
  }

  /** Sends the queue after this turn of the event loop, unless a batch is still waiting for its answer. */
  private schedule (): void {
    if (this.scheduled) return
    if (this.returns.length === 0 && (this.inFlight || this.waiting.length === 0)) return
    this.scheduled = true
    setImmediate(this.flush)
  }

  private readonly flush = (): void => {
    this.scheduled = false
    // Returns first: a unit given back in this turn is there for the checks that follow.
    if (this.returns.length > 0) {
      this.primary.cast(KIND.giveBack, this.returns)
      this.returns = []
    }
    if (this.inFlight || this.waiting.length === 0) return
    this.inFlight = true
    const calls = this.calls
    const waiting = this.waiting
    this.calls = []
    this.waiting = []
    this.primary.request<number[]>(KIND.batch, calls, BATCH_TIMEOUT_MS).then((answers) => {
      for (let i = 0; i < waiting.length; i++) waiting[i]!({ answers, at: 4 * i })
    }, () => {
      for (let i = 0; i < waiting.length; i++) {
        // A refill that fails is no block; a check is answered by the local fallback.
        const op = calls[3 * i + 2] as number
        const [current, ttl] = op === OP.refill ? [0, 0] : this.fallbacks.get(calls[3 * i] as number)?.answer(calls[3 * i + 1] as string) ?? [0, 0]
        waiting[i]!({ answers: [current, ttl, 0, 0], at: 0 })
      }
    }).finally(() => {
      this.inFlight = false
      this.schedule()
    })
  }
}
