// The client certificate of an mTLS connection, as plugins and the access log see it.
// Read once per connection (a keep-alive connection carries many requests) and kept on
// the socket under a symbol. Only a certificate that verified against server.tls.clientCA
// counts: with requireClientCert off a client may still send one that did not, and
// that one proves nothing.
import { TLSSocket } from 'node:tls'
import type { Socket } from 'node:net'
import { subjectLine } from './pem-files.js'

export interface ClientCertificate {
  /** One line, e.g. `CN=billing, O=Acme`. */
  readonly subject: string
  readonly issuer: string
  readonly serialNumber: string
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint256: string
}

const CLIENT_CERTIFICATE = Symbol('turnpike.clientCertificate')
type Carrier = TLSSocket & { [CLIENT_CERTIFICATE]?: ClientCertificate | null }

/** The verified client certificate on `socket`, or null. */
export function clientCertificateOf (socket: Socket): ClientCertificate | null {
  if (!(socket instanceof TLSSocket)) return null
  const carrier = socket as Carrier
  const known = carrier[CLIENT_CERTIFICATE]
  if (known !== undefined) return known
  const x509 = socket.authorized ? socket.getPeerX509Certificate() : undefined
  const found = x509 === undefined
    ? null
    : Object.freeze({ subject: subjectLine(x509), issuer: x509.issuer.split('\n').join(', '), serialNumber: x509.serialNumber, fingerprint256: x509.fingerprint256 })
  carrier[CLIENT_CERTIFICATE] = found
  return found
}
