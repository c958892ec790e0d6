// The door of the data-plane listener (`security.connections`): every TCP connection is
// counted on accept, before any protocol sees it, and released on close, so HTTP/1.1,
// TLS, WebSocket tunnels (the same socket) and, once it lands, HTTP/2 hold their place
// until the client goes. A connection over a limit never reaches the protocol handler: it gets a
// 429 or 503 on its own and closes; open connections are never cut to make room.
//
// `guard` puts the gate in front of the handlers the server registered for 'connection'
// (and, for TLS, 'secureConnection': the refusal is written once the handshake is done,
// so the client can read it) and hands them each admitted socket, as Node documents for
// injecting connections. The limits come from the current generation's config at each
// accept: a reload changes them for new connections; the counts live in the ledger,
// which outlives generations.
import type { Server as NetServer, Socket } from 'node:net'
import { Server as TlsServer, type TLSSocket } from 'node:tls'
import type { Logger } from 'pino'
import type { GatewayConfig } from '../config/schema.js'
import type { IpRuleStore } from '../ip-rules/store.js'
import type { GatewayMetrics } from '../metrics.js'
import { LocalConnectionLedger, type Admission, type ConnectionLedger } from './connection-ledger.js'
import { ConnectionPolicy } from './connection-policy.js'
import { REFUSALS, deadline, refuse } from './connection-refusal.js'

type Handler = (socket: Socket) => void
type Refusal = Exclude<Admission, 'admitted'>

/** Takes the listeners a server registered for `event` off it and returns one function calling them. */
function takeHandlers (server: NetServer, event: string): Handler {
  const handlers = server.listeners(event) as Handler[]
  server.removeAllListeners(event)
  const [only] = handlers
  if (handlers.length === 1 && only !== undefined) return (socket) => { only.call(server, socket) }
  return (socket) => { for (const h of handlers) h.call(server, socket) }
}

const peerKey = (s: Socket): string => `${s.remoteAddress ?? ''} ${s.remotePort ?? ''} ${s.localAddress ?? ''}`

export class ConnectionGate {
  private policy: ConnectionPolicy | null = null
  private policyOf: Readonly<GatewayConfig> | null = null
  private rulesVersion = -1
  /** TLS connections refused on accept, until their handshake ends (by peer and local address). */
  private readonly refusing = new Map<string, Refusal>()

  constructor (
    /** The current generation's config, read on every accept. */
    private readonly config: () => Readonly<GatewayConfig>,
    private readonly ipRules: IpRuleStore,
    private readonly logger: Logger,
    private readonly metrics: GatewayMetrics,
    readonly ledger: ConnectionLedger = new LocalConnectionLedger()
  ) {}

  guard (server: NetServer): void {
    const accept = takeHandlers(server, 'connection')
    const tls = server instanceof TlsServer
    server.on('connection', (socket: Socket) => { this.onConnection(socket, accept, tls) })
    if (!tls) return
    const secured = takeHandlers(server, 'secureConnection')
    server.on('secureConnection', (socket: TLSSocket) => {
      const refusal = this.refusing.size === 0 ? undefined : this.refusing.get(peerKey(socket))
      if (refusal === undefined) secured(socket)
      else refuse(socket, REFUSALS[refusal])
    })
  }

  /** The compiled policy of the current config; recompiled only when it or the IP rules changed. */
  private current (): ConnectionPolicy | null {
    const config = this.config()
    if (config !== this.policyOf || this.ipRules.version !== this.rulesVersion) {
      this.policyOf = config
      this.rulesVersion = this.ipRules.version
      this.policy = ConnectionPolicy.compile(config, this.ipRules)
    }
    return this.policy
  }

  private onConnection (socket: Socket, accept: Handler, tls: boolean): void {
    const policy = this.current()
    if (policy === null) {
      accept(socket)
      return
    }
    const address = socket.remoteAddress ?? null
    const admission = this.ledger.admit(address, policy.perIp, policy.total)
    if (typeof admission === 'string') {
      this.decide(socket, address, admission, policy, accept, tls)
      return
    }
    // A ledger elsewhere (the primary's): what the client sends meanwhile waits in the
    // socket's buffer, and the protocol handler reads it once it gets the socket.
    const onError = (): void => { socket.destroy() }
    socket.on('error', onError)
    admission.then((verdict) => {
      socket.off('error', onError)
      this.decide(socket, address, verdict, policy, accept, tls)
    }, (err: unknown) => {
      // Failing open, uncounted: a broken ledger must not take the gateway down with it.
      socket.off('error', onError)
      this.logger.error({ err }, 'connection ledger failed; connection admitted uncounted')
      if (!socket.destroyed) accept(socket)
    })
  }

  /**
   * Admits, or refuses; a refused peer the policy owes other limits (exempt, trusted)
   * is counted once more under those (`policy` null then: no second overrule).
   */
  private decide (socket: Socket, address: string | null, admission: Admission, policy: ConnectionPolicy | null, accept: Handler, tls: boolean): void {
    if (admission === 'admitted') {
      this.admitted(socket, address, accept)
      return
    }
    const overrule = policy?.overrule(address, admission) ?? null
    if (overrule === null) {
      this.refused(socket, admission, accept, tls)
      return
    }
    const again = this.ledger.admit(address, overrule.perIp, overrule.total)
    if (typeof again === 'string') {
      this.decide(socket, address, again, null, accept, tls)
      return
    }
    again.then((verdict) => { this.decide(socket, address, verdict, null, accept, tls) }, () => { this.refused(socket, admission, accept, tls) })
  }

  private admitted (socket: Socket, address: string | null, accept: Handler): void {
    if (socket.destroyed) { // gone while an asynchronous ledger was answering
      this.ledger.release(address)
      return
    }
    socket.on('close', () => { this.ledger.release(address) })
    accept(socket)
  }

  private refused (socket: Socket, refusal: Refusal, accept: Handler, tls: boolean): void {
    if (socket.destroyed) return
    this.metrics.countConnectionRefused(refusal)
    deadline(socket)
    if (!tls) {
      refuse(socket, REFUSALS[refusal])
      return
    }
    const key = peerKey(socket)
    this.refusing.set(key, refusal)
    socket.on('close', () => { this.refusing.delete(key) })
    accept(socket) // the TLS handshake; 'secureConnection' then writes the refusal
  }
}
