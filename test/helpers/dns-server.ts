// A small authoritative DNS server for tests, on node:dgram at 127.0.0.1 (an ephemeral
// port): A, AAAA and SRV answers from records the test changes while it runs, and
// failure modes (SERVFAIL, or no answer at all) to show a lookup going wrong.
import dgram from 'node:dgram'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import packet from 'dns-packet'

export interface SrvRecord { readonly priority?: number, readonly weight?: number, readonly port: number, readonly target: string }

export interface Zone {
  A?: string[]
  AAAA?: string[]
  SRV?: SrvRecord[]
}

export interface DnsServer {
  /** 127.0.0.1:PORT, for `discovery.resolver`. */
  readonly address: string
  /** name → records; change it at any time, the next query sees it. */
  readonly zones: Map<string, Zone>
  /** 'answer' (the default), 'servfail', or 'silent' (drop queries: the resolver times out). */
  mode: 'answer' | 'servfail' | 'silent'
  /** Queries seen, by `TYPE name`. */
  readonly queries: string[]
  close (): Promise<void>
}

export async function startDnsServer (): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4')
  const server: DnsServer = {
    address: '',
    zones: new Map(),
    mode: 'answer',
    queries: [],
    async close () {
      socket.close()
      await once(socket, 'close')
    }
  }
  socket.on('message', (message, peer) => {
    let query: packet.Packet
    try {
      query = packet.decode(message)
    } catch {
      return
    }
    const question = query.questions?.[0]
    if (question === undefined) return
    server.queries.push(`${question.type} ${question.name}`)
    if (server.mode === 'silent') return
    const zone = server.zones.get(question.name.toLowerCase())
    const answers: packet.Answer[] = []
    if (zone !== undefined && question.type === 'A') for (const data of zone.A ?? []) answers.push({ type: 'A', name: question.name, ttl: 1, data })
    if (zone !== undefined && question.type === 'AAAA') for (const data of zone.AAAA ?? []) answers.push({ type: 'AAAA', name: question.name, ttl: 1, data })
    if (zone !== undefined && question.type === 'SRV') {
      for (const r of zone.SRV ?? []) {
        answers.push({ type: 'SRV', name: question.name, ttl: 1, data: { priority: r.priority ?? 0, weight: r.weight ?? 1, port: r.port, target: r.target } })
      }
    }
    // RCODE: 2 SERVFAIL, 3 NXDOMAIN (an unknown name), 0 otherwise (maybe no data).
    const rcode = server.mode === 'servfail' ? 2 : zone === undefined ? 3 : 0
    const reply = packet.encode({
      id: query.id,
      type: 'response',
      flags: packet.AUTHORITATIVE_ANSWER | (query.flags ?? 0) & packet.RECURSION_DESIRED | rcode,
      questions: [question],
      answers: server.mode === 'servfail' ? [] : answers
    })
    socket.send(reply, peer.port, peer.address)
  })
  socket.bind(0, '127.0.0.1')
  await once(socket, 'listening')
  const { port } = socket.address() as AddressInfo
  return Object.assign(server, { address: `127.0.0.1:${port}` })
}
