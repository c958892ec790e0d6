// The WWW-Authenticate challenges of a 401. Bearer follows RFC 6750 §3: no error
// attribute when the request carried no token, `invalid_token` with a short
// description when one failed. API keys have no registered scheme; ours names the
// header to send the key in, so a client can tell how to authenticate.
const REALM = 'turnpike'

/** No bearer token was sent. */
export const BEARER_CHALLENGE = `Bearer realm="${REALM}"`

/** A bearer token was sent and refused; `reason` is one of the verifier's fixed, quote-free reasons. */
export function invalidTokenChallenge (reason: string): string {
  return `Bearer realm="${REALM}", error="invalid_token", error_description="${reason}"`
}

/** `header` is a header name (a token: no quotes can occur). */
export function apiKeyChallenge (header: string): string {
  return `ApiKey realm="${REALM}", header="${header}"`
}
