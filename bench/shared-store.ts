// `node --import tsx bench/shared-store.ts`: what a rate-limit check costs when the
// primary keeps the counters (server.workers > 1 without Redis) against the worker's own
// in-process store, in CPU µs per check summed over both processes (harness:
// ipc-pair.ts). The end-to-end cost on a route is the `turnpike-w2-ratelimit` target of
// `npm run bench`.
import { SharedClient } from '../src/cluster/shared-client.js'
import { SharedStores } from '../src/cluster/shared-stores.js'
import { LocalStore, type RateStore } from '../src/rate-limit/local-store.js'
import type { RateRule } from '../src/rate-limit/rule.js'
import { runPairBench } from './ipc-pair.js'

const CHECKS = 50_000
const RULE: RateRule = { route: 'bench', algorithm: 'sliding-window', max: 1e9, window: 60_000, burst: 1e9, keyBy: 'ip' }

await runPairBench<RateStore>({
  operations: CHECKS,
  unit: 'check',
  localName: 'local store',
  sharedName: 'shared through the primary',
  serve (routes) {
    new SharedStores(() => 2).serve(routes)
  },
  make: (primary, routes) => ({ local: new LocalStore(RULE), shared: new SharedClient(primary, routes).rateStore(RULE) }),
  async run (store, concurrency) {
    let left = CHECKS
    const loop = async (): Promise<void> => {
      while (left-- > 0) await store.check('10.0.0.1')
    }
    await Promise.all(Array.from({ length: concurrency }, loop))
  }
})
