// The benchmark backend: as cheap as node:http gets, so the numbers are about the proxy
// in front of it. Runs as its own process (pinned next to the load generator); prints
// `listening <port>` when ready.
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

/** A fixed JSON answer of about 100 bytes; the targets check that it comes back intact. */
export const BACKEND_BODY = JSON.stringify({
  ok: true,
  service: 'turnpike-bench-backend',
  message: 'a small fixed JSON answer',
  items: [1, 2, 3]
})

const BODY = Buffer.from(BACKEND_BODY)
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) }

function main (): void {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } })
  const server = createServer((req, res) => {
    // Drain any body so the keep-alive connection stays usable.
    req.resume()
    res.writeHead(200, HEADERS)
    res.end(BODY)
  })
  // Longer than the proxies' idle pools (nginx keepalive_timeout 60s, undici 60s):
  // a backend that closes first makes the proxy race a reused dead socket.
  server.keepAliveTimeout = 65_000
  // The same answer on 127.0.0.2 and 127.0.0.3 (same port): three distinct loopback
  // targets for multi-target variants, all of them this one cheap process.
  // Also on 127.0.1.1 … 127.0.1.100: a hundred targets for the discovery variants.
  const addresses = ['127.0.0.2', '127.0.0.3', ...Array.from({ length: 100 }, (_, i) => `127.0.1.${i + 1}`)]
  const aliases = addresses.map(() => createServer(server.listeners('request')[0] as Parameters<typeof createServer>[0]))
  server.listen(Number(values.port), '127.0.0.1', () => {
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    let pending = aliases.length
    aliases.forEach((alias, i) => {
      alias.keepAliveTimeout = 65_000
      alias.listen(port, addresses[i], () => { if (--pending === 0) console.log(`listening ${port}`) })
    })
  })
  process.once('SIGTERM', () => {
    for (const s of [server, ...aliases]) {
      s.closeAllConnections()
      s.close()
    }
    process.exit(0)
  })
}

const entry = process.argv[1]
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) main()
