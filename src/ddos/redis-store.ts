// DDoS counters and blocks in Redis, shared by every replica: one atomic script per
// request. A live block answers with its time left; otherwise the address's counter
// goes up (expiring with the window from its first hit), and going over the threshold
// sets the block (expiring after blockFor) and starts the count over.
import type { RedisClient, RedisLink } from '../redis/link.js'
import type { DdosSettings } from './settings.js'

const HIT = `
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return left end
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if count > tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return tonumber(ARGV[3])
end
return 0
`

interface DdosCommands {
  turnpikeDdosHit?: (counter: string, block: string, threshold: number, window: number, blockFor: number) => Promise<number>
}

/** A check against Redis: resolves 0 when admitted, else the milliseconds the block has left. */
export function redisDdosCheck (link: RedisLink, settings: DdosSettings): (ip: string) => Promise<number> {
  const client = link.client as RedisClient & DdosCommands
  if (client.turnpikeDdosHit === undefined) client.defineCommand('turnpikeDdosHit', { numberOfKeys: 2, lua: HIT })
  const hit = client.turnpikeDdosHit as NonNullable<DdosCommands['turnpikeDdosHit']>
  // PX 0 is an error in Redis; a zero duration in the config means "as short as possible".
  const window = Math.max(1, settings.window)
  const blockFor = Math.max(1, settings.blockFor)
  return async (ip) => {
    // The {address} hash tag keeps both keys of the script in one Redis Cluster slot.
    const tag = `{${ip}}`
    return Number(await hit.call(client, link.key('ddos', tag, 'count'), link.key('ddos', tag, 'block'), settings.threshold, window, blockFor))
  }
}
