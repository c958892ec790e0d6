// Runs autocannon in its own process so it can be pinned to the load generator's core
// without pinning the orchestrator. Prints one JSON LoadResult line.
//   node --import tsx bench/load/autocannon-child.ts URL CONNECTIONS DURATION_S [HEADERS_JSON [RATE]]
import autocannon from 'autocannon'
import type { LoadResult } from './types.js'

const [url, connections, duration, headers, rate] = process.argv.slice(2)
if (url === undefined) throw new Error('usage: autocannon-child.ts URL CONNECTIONS DURATION_S [HEADERS_JSON]')
const r = await autocannon({ url, connections: Number(connections), duration: Number(duration), headers: JSON.parse(headers ?? '{}') as Record<string, string>,
  ...(Number(rate ?? 0) > 0 ? { overallRate: Number(rate) } : {}) })
const result: LoadResult = {
  rps: r.requests.total / r.duration,
  p50: r.latency.p50,
  p99: r.latency.p99,
  requests: r.requests.total,
  errors: r.non2xx + r.errors
}
console.log(JSON.stringify(result))
