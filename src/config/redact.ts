// The running config as admin GET /config shows it: plain JSON, durations and sizes
// written back as in the file (250ms, 10mb), and every secret replaced by "[redacted]".
import { Value } from '@sinclair/typebox/value'
import { GatewayConfigSchema, type GatewayConfig } from './schema.js'
import { entriesOf, isObject, itemsOf } from './guards.js'

export const REDACTED = '[redacted]'

/** Header names whose configured values are credentials (`authorization`, `x-api-key`...). */
const SECRET_HEADER = /authorization|cookie|token|secret|key|password|auth/i

export function redactConfig (config: GatewayConfig): unknown {
  const copy = Value.Encode(GatewayConfigSchema, Value.Clone(config)) as Record<string, unknown>
  const { admin, auth, redis, tracing } = copy
  if (isObject(admin) && admin.token !== '') admin.token = REDACTED
  if (isObject(redis) && typeof redis.url === 'string') redis.url = redactUrl(redis.url)
  if (isObject(tracing) && typeof tracing.endpoint === 'string') tracing.endpoint = redactUrl(tracing.endpoint)
  if (isObject(auth)) {
    if (isObject(auth.jwt) && auth.jwt.secret !== undefined) auth.jwt.secret = REDACTED
    for (const key of itemsOf(isObject(auth.apiKeys) ? auth.apiKeys.keys : undefined)) {
      if (isObject(key)) key.sha256 = REDACTED
    }
  }
  for (const route of itemsOf(copy.routes)) {
    if (!isObject(route)) continue
    redactHeaderValues(isObject(route.match) ? route.match.headers : undefined)
    for (const side of entriesOf(route.headers)) redactHeaderValues(isObject(side[1]) ? side[1].set : undefined)
  }
  // A plugin's options are its own, but a secret among them is named like one.
  for (const plugin of itemsOf(copy.plugins)) {
    if (isObject(plugin)) redactHeaderValues(plugin.options)
  }
  return JSON.parse(JSON.stringify(copy))
}

/**
 * `redis://user:pass@host` → `redis://user:[redacted]@host`; no password, no change.
 * Each URL of a `cluster:URL,URL` list too.
 */
export function redactUrl (url: string): string {
  return url.replace(/(^|[:,]\s*)([a-z][a-z0-9+.-]*:\/\/[^:@/,]*:)[^@/,]*@/gi, `$1$2${REDACTED}@`)
}

function redactHeaderValues (record: unknown): void {
  if (!isObject(record)) return
  for (const name of Object.keys(record)) {
    if (SECRET_HEADER.test(name)) record[name] = REDACTED
  }
}
