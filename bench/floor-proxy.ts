// The floor for any Node proxy: node:http in front, an undici Pool behind, request and
// response headers copied (hop-by-hop ones dropped), bodies streamed, nothing else.
// What Turnpike costs above this is what its routing, policies and logs cost.
// Runs as its own process; prints `listening <port>` when ready.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'

const { values } = parseArgs({ options: { upstream: { type: 'string' }, port: { type: 'string', default: '0' } } })
if (values.upstream === undefined) throw new Error('--upstream is required')
const pool = new Pool(values.upstream, { connections: 128, pipelining: 1 })
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer', 'host'])
const copy = (from: IncomingHttpHeaders | Record<string, string | string[] | undefined>, out: Record<string, string | string[]>): Record<string, string | string[]> => {
  for (const name in from) { const value = from[name]; if (value !== undefined && !HOP.has(name)) out[name] = value }
  return out
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').replace(/^\/api/, '') || '/'
  pool.stream({ path, method: req.method as 'GET', headers: copy(req.headers, { 'x-gateway': 'floor' }), body: req.method === 'GET' || req.method === 'HEAD' ? null : req },
    ({ statusCode, headers }) => { res.writeHead(statusCode, copy(headers, {})); return res },
    (err) => { if (err !== null && !res.headersSent) { res.writeHead(502).end() } else if (err !== null) res.destroy() })
})
server.keepAliveTimeout = 65_000
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening ${typeof address === 'object' && address !== null ? address.port : 0}`)
})
process.once('SIGTERM', () => { server.closeAllConnections(); server.close(); void pool.close().then(() => process.exit(0)) })
