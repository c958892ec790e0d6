// Reading and checking PEM files: a certificate with its private key (they must
// belong together), and CA bundles. Used both when the config is validated (so a bad
// file is a config error with its key path) and when the files are (re)loaded to serve
// them, so the two can never disagree about what a usable pair is.
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** A certificate and its key, read and checked; `names` are what SNI can select it by. */
export interface CertificatePair {
  readonly certFile: string
  readonly keyFile: string
  readonly cert: Buffer
  readonly key: Buffer
  /** Lower-case DNS names from the SAN (or the CN when there is none); may hold `*.x` wildcards. */
  readonly names: readonly string[]
  readonly subject: string
  readonly notAfter: string
  readonly fingerprint: string
}

/** A file that cannot be used; `file` tells which of the pair it was. */
export class PemError extends Error {
  constructor (readonly file: 'cert' | 'key' | 'ca', message: string) {
    super(message)
    this.name = 'PemError'
  }
}

function read (file: string, which: PemError['file']): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err)
    if (code === 'EISDIR') throw new PemError(which, `'${file}' is not a file`)
    throw new PemError(which, `cannot read '${file}' (${code === 'ENOENT' ? 'no such file' : code})`)
  }
}

function parseCertificate (pem: Buffer, file: string, which: PemError['file']): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch {
    throw new PemError(which, `'${file}' is not a PEM certificate`)
  }
}

/** One-line subject, e.g. `CN=client-1, O=Acme`. */
export function subjectLine (cert: X509Certificate): string {
  return cert.subject.split('\n').join(', ')
}

/** The DNS names a certificate is valid for: SAN DNS entries, else the CN. */
export function dnsNames (cert: X509Certificate): string[] {
  const san = cert.subjectAltName
  if (san !== undefined && san !== '') {
    const names = san.split(/,\s*/).filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4).toLowerCase())
    if (names.length > 0) return names
  }
  const cn = cert.subject.split('\n').find((line) => line.startsWith('CN='))
  return cn === undefined ? [] : [cn.slice(3).toLowerCase()]
}

/** Reads a certificate and its key; throws PemError when either is unusable or they do not match. */
export function loadPair (certFile: string, keyFile: string): CertificatePair {
  const cert = read(certFile, 'cert')
  const key = read(keyFile, 'key')
  const x509 = parseCertificate(cert, certFile, 'cert')
  let privateKey
  try {
    privateKey = createPrivateKey(key)
  } catch (err) {
    const encrypted = /encrypted|passphrase/i.test(String(err))
    throw new PemError('key', encrypted ? `'${keyFile}' is encrypted; give an unencrypted key` : `'${keyFile}' is not a PEM private key`)
  }
  if (!x509.checkPrivateKey(privateKey)) throw new PemError('key', `'${keyFile}' is not the private key of the certificate in '${certFile}'`)
  return { certFile, keyFile, cert, key, names: dnsNames(x509), subject: subjectLine(x509), notAfter: x509.validTo, fingerprint: x509.fingerprint256 }
}

/** Reads a CA bundle; throws PemError when it holds no certificate. */
export function loadCa (file: string): Buffer {
  const pem = read(file, 'ca')
  parseCertificate(pem, file, 'ca')
  return pem
}
