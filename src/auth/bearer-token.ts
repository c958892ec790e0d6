// The token of `Authorization: Bearer TOKEN` (RFC 6750 §2.1; the scheme name is
// case-insensitive). Another scheme (Basic, …) is no bearer credential at all.
const BEARER = /^bearer(?: +|$)/i

/** The token, '' for `Bearer` with nothing after it, undefined when no bearer credentials were sent. */
export function bearerToken (authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined
  const scheme = BEARER.exec(authorization)
  if (scheme === null) return undefined
  return authorization.slice(scheme[0].length).trim()
}
