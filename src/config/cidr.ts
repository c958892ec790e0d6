// IP addresses and CIDR ranges as written in the config (trustProxy, later ipFilter).
import { isIP } from 'node:net'

/** True for `10.0.0.1`, `10.0.0.0/8`, `::1`, `2001:db8::/32`. */
export function isIpOrCidr (text: string): boolean {
  const slash = text.indexOf('/')
  const address = slash === -1 ? text : text.slice(0, slash)
  const family = isIP(address)
  if (family === 0) return false
  if (slash === -1) return true
  const bits = text.slice(slash + 1)
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)
}
