// A start that cannot happen for a reason the operator can fix (a port in use), told
// as one line that names the config key: no stack trace, which would bury it.

export class StartError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StartError'
  }
}

/** `host:port`, IPv6 hosts in brackets. */
function addressOf (host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** A listen error on `key` (server.port, admin.port) as a StartError, or `err` as it was. */
export function listenError (err: unknown, key: string, host: string, port: number): unknown {
  const address = addressOf(host, port)
  switch ((err as NodeJS.ErrnoException | null)?.code) {
    case 'EADDRINUSE': return new StartError(`${key}: ${address} is already in use`)
    case 'EACCES': return new StartError(`${key}: ${address}: permission denied (ports below 1024 need privileges)`)
    case 'EADDRNOTAVAIL': return new StartError(`${key}: ${address}: ${host} is not an address of this machine`)
    default: return err
  }
}
