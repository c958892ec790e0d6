// `turnpike top` arguments: flags first, then the environment, then the defaults.
import { parseArgs } from 'node:util'
import { parseDuration } from '../../config/units.js'

export const USAGE = `usage: turnpike top [--admin URL] [--interval 1s] [--token T] [--once]

  --admin URL      the gateway's admin server (default $TURNPIKE_ADMIN_URL or http://127.0.0.1:9090)
  --interval D     how often to poll GET /stats (default 1s; e.g. 500ms, 2s)
  --token T        bearer token to send (default $TURNPIKE_ADMIN_TOKEN; the variable keeps
                   it out of the process list)
  --once           print one snapshot as plain text and exit (1 if the admin API fails)

keys: q or Ctrl-C quit, r refresh now
`

export const DEFAULT_ADMIN = 'http://127.0.0.1:9090'

/** Below this a poll loop only loads the gateway; nothing on screen changes that fast. */
const MIN_INTERVAL_MS = 100

export interface TopOptions {
  readonly admin: string
  readonly intervalMs: number
  readonly token?: string
  readonly once: boolean
}

export type Parsed =
  | { readonly kind: 'run', readonly options: TopOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'misuse', readonly message: string }

export function parseTopArgs (argv: string[], env: NodeJS.ProcessEnv): Parsed {
  let values
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        admin: { type: 'string' },
        interval: { type: 'string' },
        token: { type: 'string' },
        once: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }))
  } catch (err) {
    return { kind: 'misuse', message: (err as Error).message }
  }
  if (values.help === true) return { kind: 'help' }

  const admin = values.admin ?? nonEmpty(env.TURNPIKE_ADMIN_URL) ?? DEFAULT_ADMIN
  let url: URL
  try {
    url = new URL(admin)
  } catch {
    return { kind: 'misuse', message: `--admin: "${admin}" is not a URL (e.g. http://127.0.0.1:9090)` }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { kind: 'misuse', message: `--admin: "${admin}" is not an http(s) URL` }

  let intervalMs: number
  try {
    intervalMs = parseDuration(values.interval ?? '1s')
  } catch (err) {
    return { kind: 'misuse', message: `--interval: ${(err as Error).message}` }
  }
  if (intervalMs < MIN_INTERVAL_MS) return { kind: 'misuse', message: `--interval: at least ${MIN_INTERVAL_MS}ms` }

  const token = values.token ?? nonEmpty(env.TURNPIKE_ADMIN_TOKEN)
  return {
    kind: 'run',
    options: { admin: admin.replace(/\/+$/, ''), intervalMs, once: values.once === true, ...(token === undefined ? {} : { token }) }
  }
}

const nonEmpty = (v: string | undefined): string | undefined => v === undefined || v === '' ? undefined : v
