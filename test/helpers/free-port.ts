// A loopback port that was free a moment ago, for a process that cannot be told to use
// port 0 (redis-server, prometheus). Racy in principle; only our own children bind here.
import { once } from 'node:events'
import net from 'node:net'

export async function freePort (): Promise<number> {
  const server = net.createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}
