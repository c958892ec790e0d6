// The seam between the edge policies and gateway-wide state kept outside this process.
// A cluster worker gets one (src/cluster/shared-client.ts): without Redis, its rate
// limits and DDoS counts are kept by the primary, so that `max: 10` admits 10 for the
// whole gateway whichever worker a connection lands on; run-time IP rules arrive from
// the primary. A single process has none and keeps all of it in-process.
import type { DdosSettings } from '../ddos/settings.js'
import type { RateStore } from '../rate-limit/local-store.js'
import type { RateRule } from '../rate-limit/rule.js'

export interface SharedEdge {
  /** One route's limit, counted once for the whole gateway. */
  rateStore (rule: RateRule): RateStore
  /** A DDoS check counted once for the whole gateway: resolves 0 to admit, else the ms its block has left. */
  ddosCheck (settings: DdosSettings): (ip: string) => number | Promise<number>
}
