// Cross-checks of `upstreams`: names the schema's Record type cannot all report, and
// target URLs, which must be bare origins (the route decides the path), and health
// check status ranges that run backwards.
import type { Issue } from './problem.js'
import { entriesOf, isObject, itemsOf } from './guards.js'
import { statusRangesProblem } from '../upstream/health/status-ranges.js'

const NAME = /^[A-Za-z0-9_.-]+$/

export function upstreamIssues (upstreams: unknown): Issue[] {
  const issues: Issue[] = []
  for (const [name, upstream] of entriesOf(upstreams)) {
    if (!NAME.test(name)) {
      issues.push({ path: ['upstreams', name], message: `bad name '${name}' (letters, digits, '_', '.' and '-' only)`, at: 'key' })
    }
    const check = isObject(upstream) ? upstream.healthCheck : undefined
    if (isObject(check) && typeof check.expectStatus === 'string') {
      const problem = statusRangesProblem(check.expectStatus)
      if (problem !== undefined) issues.push({ path: ['upstreams', name, 'healthCheck', 'expectStatus'], message: problem })
    }
    const seen = new Set<string>()
    itemsOf(isObject(upstream) ? upstream.targets : undefined).forEach((target, j) => {
      if (!isObject(target) || typeof target.url !== 'string') return
      const path = ['upstreams', name, 'targets', j, 'url']
      const problem = targetUrlProblem(target.url)
      if (problem !== undefined) {
        issues.push({ path, message: problem })
        return
      }
      const url = new URL(target.url)
      if (seen.has(url.origin)) issues.push({ path, message: 'duplicate target (give one target a higher weight instead)' })
      else seen.add(url.origin)
      const mismatch = protocolProblem(isObject(upstream) ? upstream.protocol : undefined, url.protocol)
      if (mismatch !== undefined) issues.push({ path, message: mismatch })
    })
  }
  return issues
}

/** h2 is negotiated by TLS ALPN, h2c is cleartext: a target of the other scheme cannot speak it. */
function protocolProblem (protocol: unknown, scheme: string): string | undefined {
  if (protocol === 'h2' && scheme !== 'https:') return "protocol h2 is HTTP/2 over TLS: its targets are https:// (use h2c for cleartext HTTP/2)"
  if (protocol === 'h2c' && scheme !== 'http:') return 'protocol h2c is cleartext HTTP/2: its targets are http:// (use h2 over TLS)'
  return undefined
}

/** Why `text` is not a usable target (an http(s) origin), or undefined when it is. */
export function targetUrlProblem (text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `bad URL '${text}'`
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `only http:// and https:// targets are supported, got '${url.protocol}'`
  if (url.username !== '' || url.password !== '') return 'a target URL cannot contain credentials'
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(text)) return 'a target URL cannot have a query string or fragment'
  if (url.pathname !== '/') {
    return `a target is an origin (scheme://host:port) and cannot have a path ('${url.pathname}'); use route rewrite for a base path`
  }
  return undefined
}
