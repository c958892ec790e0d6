// A bounded closed-loop load: `connections` loops, each sending one request after
// another over keep-alive until stop() or `maxRequests`.
import { Agent, request } from 'undici'

export interface LoadResult {
  ok: number
  /** Every response that was not 2xx and every error, with when it happened. */
  failures: Array<{ at: number, status?: number, error?: string }>
  /** Requests refused at connect time (listener closed): never sent, so not failed. */
  refused: number
}

export interface Load {
  readonly result: LoadResult
  /** Resolves once `n` requests in total have succeeded. */
  okAtLeast (n: number): Promise<void>
  stop (): void
  readonly done: Promise<LoadResult>
}

export function startLoad (url: string, options: { connections: number, maxRequests?: number, headers?: Record<string, string> }): Load {
  const agent = new Agent({ connections: options.connections, pipelining: 1 })
  const result: LoadResult = { ok: 0, failures: [], refused: 0 }
  const waiters: Array<{ n: number, resolve: () => void }> = []
  let stopped = false
  const max = options.maxRequests ?? 200_000
  let sent = 0
  const loop = async (): Promise<void> => {
    while (!stopped && sent < max) {
      sent++
      try {
        const res = await request(url, { dispatcher: agent, headers: options.headers })
        await res.body.dump()
        if (res.statusCode >= 200 && res.statusCode < 300) {
          result.ok++
          for (const w of waiters.filter((w) => result.ok >= w.n)) {
            waiters.splice(waiters.indexOf(w), 1)
            w.resolve()
          }
        } else {
          result.failures.push({ at: Date.now(), status: res.statusCode })
        }
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code === 'ECONNREFUSED') {
          result.refused++
          return // the gateway stopped listening: this loop is done
        }
        result.failures.push({ at: Date.now(), error: `${code ?? ''} ${(err as Error).message}` })
      }
    }
  }
  const done = Promise.all(Array.from({ length: options.connections }, loop)).then(async () => {
    for (const w of waiters.splice(0)) w.resolve()
    await agent.close()
    return result
  })
  return {
    result,
    okAtLeast: async (n) => {
      if (result.ok >= n || stopped) return
      await new Promise<void>((resolve) => waiters.push({ n, resolve }))
    },
    stop: () => { stopped = true },
    done
  }
}
