// Cross-checks of `server` and `admin`: the two listeners must not collide, trusted
// proxies must be real addresses. TLS files are checked in check-tls.ts.
import type { Issue } from './problem.js'
import { isObject, itemsOf } from './guards.js'
import { isIpOrCidr } from './cidr.js'

const ANY_HOST: ReadonlySet<string> = new Set(['', '0.0.0.0', '::', '[::]', '::0'])
const LOOPBACK: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])

export function serverIssues (config: Record<string, unknown>): Issue[] {
  const issues: Issue[] = []
  const { server, admin } = config
  if (!isObject(server)) return issues

  if (isObject(admin) && listenersClash(server, admin)) {
    issues.push({
      path: ['admin', 'port'],
      message: `port ${String(admin.port)} is also server.port and the hosts overlap (${String(server.host)}, ${String(admin.host)}); pick another port`
    })
  }
  itemsOf(server.trustProxy).forEach((entry, i) => {
    if (typeof entry === 'string' && !isIpOrCidr(entry)) {
      issues.push({ path: ['server', 'trustProxy', i], message: `'${entry}' is not an IP address or CIDR range (e.g. 10.0.0.0/8)` })
    }
  })
  return issues
}

function listenersClash (server: Record<string, unknown>, admin: Record<string, unknown>): boolean {
  if (typeof server.port !== 'number' || server.port === 0 || server.port !== admin.port) return false
  if (typeof server.host !== 'string' || typeof admin.host !== 'string') return false
  const a = server.host.toLowerCase()
  const b = admin.host.toLowerCase()
  return a === b || ANY_HOST.has(a) || ANY_HOST.has(b) || (LOOPBACK.has(a) && LOOPBACK.has(b))
}
