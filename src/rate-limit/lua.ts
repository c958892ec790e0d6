// The algorithms of algorithms.ts as Redis Lua scripts: one atomic script per check, so
// every replica sharing Redis sees one counter. The time comes from the gateway
// (ARGV[1]), never from Redis, so an injected clock drives these as it drives the
// in-process store; PEXPIRE only lets Redis forget a key once its state is the fresh one.
// KEYS[1]: the counter's hash. ARGV: now, max, window, burst. Returns {current, ttl}.
// Numbers are written with %d: Lua's default number formatting keeps only 14 digits.

const HEAD = `
local now = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local function int (x) return string.format('%d', x) end
`

export const FIXED_WINDOW = HEAD + `
local s = redis.call('HMGET', KEYS[1], 'start', 'count')
local start = tonumber(s[1])
local count = tonumber(s[2])
if start == nil or count == nil or now >= start + window then
  start = now
  count = 0
end
local ttl = start + window - now
if count >= max then return {max + 1, ttl} end
count = count + 1
redis.call('HSET', KEYS[1], 'start', int(start), 'count', int(count))
redis.call('PEXPIRE', KEYS[1], int(ttl))
return {count, ttl}
`

export const SLIDING_WINDOW = HEAD + `
local s = redis.call('HMGET', KEYS[1], 'index', 'current', 'previous')
local index = math.floor(now / window)
local stored = tonumber(s[1])
local current = tonumber(s[2]) or 0
local previous = tonumber(s[3]) or 0
if stored == nil then
  current = 0
  previous = 0
elseif index > stored then
  if index == stored + 1 then previous = current else previous = 0 end
  current = 0
else
  index = stored
end
local elapsed = math.max(0, now - index * window)
local used = previous * (window - elapsed) + current * window
if used + window <= max * window then
  current = current + 1
  redis.call('HSET', KEYS[1], 'index', int(index), 'current', int(current), 'previous', int(previous))
  redis.call('PEXPIRE', KEYS[1], int((index + 2) * window - now))
  return {math.ceil((used + window) / window), window - elapsed}
end
if current < max then
  return {max + 1, window - elapsed - math.floor((max - 1 - current) * window / previous)}
end
return {max + 1, window - elapsed + window - math.floor((max - 1) * window / current)}
`

export const TOKEN_BUCKET = HEAD + `
local capacity = burst * window
local s = redis.call('HMGET', KEYS[1], 'level', 'at')
local level = tonumber(s[1])
local at = tonumber(s[2])
if level == nil or at == nil then
  level = capacity
  at = now
end
if now > at then
  level = math.min(capacity, level + (now - at) * max)
  at = now
end
if level < window then return {burst + 1, math.ceil((window - level) / max)} end
level = level - window
local ttl = math.ceil((capacity - level) / max)
redis.call('HSET', KEYS[1], 'level', int(level), 'at', int(at))
redis.call('PEXPIRE', KEYS[1], int(ttl))
return {burst - math.floor(level / window), ttl}
`
