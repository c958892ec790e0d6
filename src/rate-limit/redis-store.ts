// One route's limit kept in Redis, shared by every replica: one Lua script per check
// (lua.ts). Redis helps but is never needed: while the link is down or its breaker
// open, when a command fails or does not answer within the request's budget
// (redis.timeout), the route's in-process store answers, so a request gets 200 or 429,
// never a 5xx, and never waits long.
import type { RedisBudget, RedisClient, RedisLink } from '../redis/link.js'
import type { Verdict } from './algorithms.js'
import type { LocalStore, RateStore } from './local-store.js'
import { FIXED_WINDOW, SLIDING_WINDOW, TOKEN_BUCKET } from './lua.js'
import type { Algorithm, RateRule } from './rule.js'

type Script = (key: string, now: number, max: number, window: number, burst: number) => Promise<[number, number]>

const SCRIPTS: Record<Algorithm, { name: string, lua: string }> = {
  'fixed-window': { name: 'turnpikeFixedWindow', lua: FIXED_WINDOW },
  'sliding-window': { name: 'turnpikeSlidingWindow', lua: SLIDING_WINDOW },
  'token-bucket': { name: 'turnpikeTokenBucket', lua: TOKEN_BUCKET }
}

/** The client's command for `algorithm`, defined on first use (ioredis sends EVALSHA, EVAL on NOSCRIPT). */
function scriptOf (client: RedisClient, algorithm: Algorithm): Script {
  const { name, lua } = SCRIPTS[algorithm]
  const commands = client as unknown as Record<string, Script | undefined>
  if (typeof commands[name] !== 'function') client.defineCommand(name, { numberOfKeys: 1, lua })
  const script = commands[name] as Script
  return script.bind(client)
}

export class RedisStore implements RateStore {
  private readonly script: Script
  /** `PREFIXrate:ALGORITHM:ROUTE:{` — the key value goes in the braces (one Cluster slot per key). */
  private readonly prefix: string

  constructor (
    private readonly link: RedisLink,
    private readonly rule: RateRule,
    private readonly fallback: LocalStore,
    private readonly now: () => number = Date.now
  ) {
    this.script = scriptOf(link.client, rule.algorithm)
    this.prefix = link.key('rate', rule.algorithm, rule.route, '{')
  }

  check (key: string, budget?: RedisBudget): Verdict | Promise<Verdict> {
    const { max, window, burst } = this.rule
    return this.link.run('rate limit', async () => {
      const [current, ttl] = await this.script(this.prefix + key + '}', this.now(), max, window, burst)
      return { current, ttl }
    }, () => this.fallback.check(key), budget)
  }
}
