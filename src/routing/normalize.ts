// Path normalization before routing, auth and forwarding: dot-segments
// resolved, repeated slashes merged, percent-encoded unreserved characters decoded.
// Anything that could make the upstream see a different path than the route table
// did is refused: encoded `/` or `\`, NUL, `..` above the root, raw backslashes, a
// fragment (`#`), and path parameters (`;`), which servlet containers strip from every
// segment before they match (`/admin;x` and `/a/..;/admin` are `/admin` to Tomcat, Jetty
// and Spring, but not to our route table).

export interface NormalizedTarget {
  /** The normalized path, always starting with `/`. */
  path: string
  /** The query string including its leading `?`, unchanged; '' when absent. */
  query: string
}

export class PathError extends Error {}

// Cheap pre-check: a path without any of these is already normal (the hot path).
const NEEDS_WORK = /[%\\;#]|\/\.|\/\/|[\x00-\x20\x7f]/

const UNRESERVED = /[A-Za-z0-9._~-]/

function hexValue (code: number): number {
  if (code >= 48 && code <= 57) return code - 48
  const lower = code | 0x20
  if (lower >= 97 && lower <= 102) return lower - 87
  return -1
}

function decodeUnreserved (path: string): string {
  let out = ''
  let last = 0
  for (let i = path.indexOf('%'); i !== -1; i = path.indexOf('%', i + 1)) {
    const hi = hexValue(path.charCodeAt(i + 1))
    const lo = hexValue(path.charCodeAt(i + 2))
    if (hi < 0 || lo < 0) throw new PathError('bad percent-encoding')
    const byte = hi * 16 + lo
    if (byte === 0x2f || byte === 0x5c) throw new PathError('encoded slash or backslash')
    if (byte === 0) throw new PathError('encoded NUL')
    const ch = String.fromCharCode(byte)
    out += path.slice(last, i) + (byte < 0x80 && UNRESERVED.test(ch) ? ch : '%' + path.slice(i + 1, i + 3).toUpperCase())
    last = i + 3
  }
  return out + path.slice(last)
}

function isDotSegment (segment: string): boolean {
  // `..%3b` is `..;` to a server that decodes before it strips parameters.
  if (/^\.\.?%3b/i.test(segment)) throw new PathError('dot-segment with parameters')
  return segment === '.' || segment === '..'
}

function resolveSegments (path: string): string {
  const input = path.split('/')
  const out: string[] = []
  const last = input.length - 1
  for (let i = 1; i <= last; i++) {
    const segment = input[i] as string
    if (segment === '' && i !== last) continue // repeated slash
    if (isDotSegment(segment)) {
      if (segment.startsWith('..')) {
        if (out.length === 0) throw new PathError('".." above the root')
        out.pop()
      }
      if (i === last) out.push('') // `/a/.` and `/a/b/..` keep a trailing slash
      continue
    }
    out.push(segment)
  }
  return '/' + out.join('/')
}

/** Normalizes the path of an origin-form request target (`/a/b?q`). */
export function normalizeTarget (target: string): NormalizedTarget {
  const q = target.indexOf('?')
  const rawPath = q === -1 ? target : target.slice(0, q)
  const query = q === -1 ? '' : target.slice(q)
  if (rawPath.charCodeAt(0) !== 47) throw new PathError('path must start with "/"')
  if (!NEEDS_WORK.test(rawPath)) return { path: rawPath, query }
  // Why `#`: find-my-way routes on the part before it, undici would send all of it.
  if (/[\\\x00-\x20\x7f#]/.test(rawPath)) throw new PathError('control character, space, backslash or "#" in path')
  // Why `;`: servlet upstreams strip `;params` from each segment, find-my-way does not,
  // so through a catch-all route `/admin;x` would reach the upstream's /admin without
  // the /admin route's auth. Spring Security's StrictHttpFirewall refuses `;` as well.
  if (rawPath.includes(';')) throw new PathError('path parameters (";") are not accepted')
  const path = resolveSegments(decodeUnreserved(rawPath))
  // Why: the router decodes the path, and a percent-encoding that is not UTF-8 (`%ff`,
  // the overlong `%c0%ae`) would otherwise get the router's own 400 with the connection
  // kept open, instead of ours.
  if (path.includes('%')) {
    try {
      decodeURIComponent(path)
    } catch {
      throw new PathError('percent-encoding that is not valid UTF-8')
    }
  }
  return { path, query }
}
