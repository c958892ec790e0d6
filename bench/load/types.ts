// What every load generator reports; latencies in milliseconds.
export interface LoadResult {
  rps: number
  p50: number
  p99: number
  requests: number
  /** Non-2xx/3xx answers plus socket errors and timeouts: any of them makes a round suspect. */
  errors: number
  /** CPU microseconds the proxy process spent per request (when measured). */
  cpuUsPerRequest?: number
}

export interface LoadOptions {
  connections: number
  durationS: number
  /** Requests/s offered over all connections (undefined: as fast as answers come). */
  rate?: number
  headers?: Record<string, string>
}

export interface LoadGenerator {
  name: string
  /** The exact command, for the report. */
  describe(opts: LoadOptions): string
  run(url: string, opts: LoadOptions): Promise<LoadResult>
}
