// The shape of admin GET /stats: totals and rates for the web dashboard and
// `turnpike top`. Rates and percentiles cover the last `windowSeconds` seconds.
// Shared by the server side (src/stats/, routes/) and the clients (the dashboard's
// script, src/cli/top/), so both sides agree on one definition.

export interface LatencySummary {
  /** Milliseconds; null when no request finished in the window. */
  readonly p50: number | null
  readonly p90: number | null
  readonly p99: number | null
}

export interface RouteStats extends LatencySummary {
  readonly name: string
  /** Requests finished since the process started. */
  readonly requests: number
  /** Requests per second over the window. */
  readonly rate: number
  /** Share of requests in the window answered 5xx (0–1). */
  readonly errorRate: number
}

export interface TargetStats {
  readonly url: string
  readonly weight: number
  readonly healthy: boolean
  readonly ejected: boolean
  readonly breaker: 'closed' | 'half-open' | 'open'
  readonly activeRequests: number
  /** Present (true) on targets found by DNS discovery. */
  readonly discovered?: true
}

export interface ReloadStats {
  readonly at: string
  readonly result: 'success' | 'failure'
  readonly generation: number
  readonly error?: string
}

/** The Redis link: its breaker and connection. */
export interface RedisStats {
  /** The URL, any password redacted. */
  readonly url: string
  /** `closed`: Redis is used; `open`: the request path serves from in-process state, a probe runs once a second. */
  readonly state: 'closed' | 'open'
  /** When the breaker last changed state (ISO 8601). */
  readonly since: string
  /** ioredis's connection status (`ready`, `connecting`, `reconnecting`, …). */
  readonly connection: string
  /** redis.timeout in ms: the most a request waits for all of its Redis calls. */
  readonly timeoutMs: number
  readonly consecutiveFailures: number
  /** Commands sent and not yet answered. */
  readonly inFlight: number
  readonly lastError: string
}

export interface GatewayStats {
  readonly version: string
  readonly startedAt: string
  readonly uptimeSeconds: number
  readonly generation: number
  readonly ready: boolean
  readonly windowSeconds: number
  readonly requests: LatencySummary & {
    readonly total: number
    readonly rate: number
    /** Share of requests in the window answered 5xx (0–1). */
    readonly errorRate: number
    /** Requests in the window by status class: `2xx`, `3xx`, `4xx`, `5xx`. */
    readonly byClass: Readonly<Record<'2xx' | '3xx' | '4xx' | '5xx', number>>
  }
  readonly connections: {
    readonly active: number
    readonly websockets: number
    /** Open connections counted by security.connections, for the whole gateway (0 without it). */
    readonly counted: number
  }
  readonly routes: readonly RouteStats[]
  readonly upstreams: Readonly<Record<string, { readonly balancer: string, readonly targets: readonly TargetStats[] }>>
  /** Newest first, at most 20. */
  readonly reloads: readonly ReloadStats[]
  /** null when no Redis is configured (every store in-process). */
  readonly redis: RedisStats | null
  readonly policies: {
    readonly rateLimited: number
    readonly blocked: number
    /** Connections refused by security.connections (per address and total). */
    readonly connectionsRefused: number
    readonly cache: { readonly hit: number, readonly miss: number, readonly bypass: number }
  }
  /** With `server.workers` > 1: each worker's slot (1…N), process id, whether it serves, and how often it was replaced. */
  readonly workers?: ReadonlyArray<{ readonly id: number, readonly pid: number | null, readonly up: boolean, readonly restarts: number }>
}
