// autocannon ships no types; this declares the small part of its API the benchmark uses.
declare module 'autocannon' {
  interface Histogram { average: number, total: number, p50: number, p99: number }
  interface Options { url: string, connections?: number, duration?: number, pipelining?: number, headers?: Record<string, string> }
  interface Result {
    requests: Histogram
    latency: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
  }
  function autocannon (opts: Options): Promise<Result>
  export default autocannon
}
