// `node --import tsx bench/connection-gate.ts`: what security.connections costs per
// connection, without the network: the ledger's admit + release, the exempt / trusted
// lookup a refused connection gets, and the whole gate (accept to close) on stand-in
// sockets, with limits and without. Bounded: a fixed number of operations per case.
import { EventEmitter } from 'node:events'
import { Server, type Socket } from 'node:net'
import pino from 'pino'
import type { GatewayConfig } from '../src/config/schema.js'
import { ConnectionGate } from '../src/edge/connection-gate.js'
import { LocalConnectionLedger } from '../src/edge/connection-ledger.js'
import { ConnectionPolicy } from '../src/edge/connection-policy.js'
import { IpRuleStore } from '../src/ip-rules/store.js'
import { GatewayMetrics } from '../src/metrics.js'

const N = 1_000_000
const ROUNDS = 5
const ADDRESSES = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)

const config = (security: object, trustProxy: unknown = false): Readonly<GatewayConfig> =>
  ({ server: { trustProxy }, security }) as unknown as Readonly<GatewayConfig>
const LIMITS = { connections: { perIp: 1_000_000, total: 1_000_000_000 } }

/** Nanoseconds per call of `op(i)`, the best of ROUNDS (the least disturbed by other tenants). */
function measure (op: (i: number) => void): number {
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < N; i++) op(i)
    best = Math.min(best, Number(process.hrtime.bigint() - start) / N)
  }
  return best
}

/** The gate on a server whose protocol handler does nothing, fed stand-in sockets. */
function gateCase (cfg: Readonly<GatewayConfig>): (i: number) => void {
  const server = new Server()
  server.on('connection', () => undefined)
  const gate = new ConnectionGate(() => cfg, new IpRuleStore(), pino({ level: 'silent' }), new GatewayMetrics())
  gate.guard(server)
  return (i) => {
    const socket = new EventEmitter() as EventEmitter & { remoteAddress: string }
    socket.remoteAddress = ADDRESSES[i % ADDRESSES.length]!
    server.emit('connection', socket as unknown as Socket)
    socket.emit('close')
  }
}

const ledger = new LocalConnectionLedger()
const rules = new IpRuleStore()
const plain = ConnectionPolicy.compile(config(LIMITS), rules)!
const withExempt = ConnectionPolicy.compile(config({ ...LIMITS, ipFilter: { exempt: ['192.0.2.0/24', '2001:db8::/32'] } }), rules)!
const withTrustList = ConnectionPolicy.compile(config(LIMITS, ['192.0.2.1', '198.51.100.0/24']), rules)!

const cases: Array<[string, (i: number) => void]> = [
  ['ledger admit + release, one address', () => { ledger.admit('10.0.0.1', Infinity, Infinity); ledger.release('10.0.0.1') }],
  ['ledger admit + release, 10,000 addresses', (i) => { const a = ADDRESSES[i % ADDRESSES.length]!; ledger.admit(a, Infinity, Infinity); ledger.release(a) }],
  // Only for a connection a limit refused: is the peer exempt or a trusted proxy?
  ['refusal path: overrule, no exempt list, no trustProxy', (i) => { plain.overrule(ADDRESSES[i % ADDRESSES.length]!, 'per-ip') }],
  ['refusal path: overrule, an exempt list (2 CIDRs)', (i) => { withExempt.overrule(ADDRESSES[i % ADDRESSES.length]!, 'per-ip') }],
  ['refusal path: overrule, trustProxy a list (2 entries)', (i) => { withTrustList.overrule(ADDRESSES[i % ADDRESSES.length]!, 'per-ip') }],
  ['gate accept + close, no security.connections', gateCase(config({}))],
  ['gate accept + close, security.connections set', gateCase(config(LIMITS))]
]

console.log(`connection-gate: ${N.toLocaleString('en-US')} operations per case, best of ${ROUNDS}, Node ${process.version}`)
for (const [name, op] of cases) console.log(`${name.padEnd(56)} ${measure(op).toFixed(0).padStart(6)} ns`)
