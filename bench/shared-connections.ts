// `node --import tsx bench/shared-connections.ts`: what counting a connection costs when
// the primary keeps the count (security.connections with server.workers > 1) against
// the worker's own in-process ledger, in CPU µs per connection (admit + release) summed
// over both processes (harness: ipc-pair.ts). Concurrency stands for the connections
// accepted in one event-loop turn.
import { ConnectionCounts } from '../src/cluster/connection-counts.js'
import { KIND } from '../src/cluster/protocol.js'
import { SharedConnectionLedger } from '../src/cluster/shared-connections.js'
import { LocalConnectionLedger, type ConnectionLedger } from '../src/edge/connection-ledger.js'
import { runPairBench } from './ipc-pair.js'

const CONNECTIONS = 50_000
const ADDRESSES = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)

await runPairBench<ConnectionLedger>({
  operations: CONNECTIONS,
  unit: 'connection',
  localName: 'local ledger',
  sharedName: 'counted by the primary',
  serve (routes) {
    const counts = new ConnectionCounts(() => 2)
    routes
      .handle<Array<string | number | null>, number[]>(KIND.connectionsAdmit, (calls, from) => counts.admit(from, calls))
      .listen<Array<string | null>>(KIND.connectionsRelease, (addresses, from) => { counts.release(from, addresses) })
      .listen<Array<string | number | null>>(KIND.connectionsReturn, (returns, from) => { counts.giveBack(from, returns) })
  },
  make: (primary, routes) => ({ local: new LocalConnectionLedger(), shared: new SharedConnectionLedger(primary, routes) }),
  async run (ledger, concurrency) {
    let left = CONNECTIONS
    const loop = async (): Promise<void> => {
      while (left-- > 0) {
        const address = ADDRESSES[left % ADDRESSES.length]!
        if (await ledger.admit(address, 1_000_000, 1_000_000_000) === 'admitted') ledger.release(address)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, loop))
  }
})
