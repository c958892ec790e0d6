// Certificates made at test time with the openssl CLI in a temp dir: a private CA and
// leaf certificates it signs (server names, wildcards, IPs, client certificates), so
// TLS tests run against real PKI without fixtures that expire.
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface Pair { readonly cert: string, readonly key: string }
export interface Ca extends Pair { readonly name: string }

export interface LeafOptions {
  /** DNS names for the SAN; none means a CN-only certificate. */
  readonly dns?: readonly string[]
  readonly ips?: readonly string[]
  /** The subject, e.g. `/CN=client-1/O=Acme` (default: /CN=<first name>). */
  readonly subject?: string
  /** Extended key usage clientAuth instead of serverAuth. */
  readonly client?: boolean
  /** Already expired when made (valid until yesterday). */
  readonly expired?: boolean
}

function openssl (args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

export class CertFactory {
  private serial = 1
  private constructor (readonly dir: string) {}

  static async create (): Promise<CertFactory> {
    return new CertFactory(await mkdtemp(path.join(os.tmpdir(), 'turnpike-certs-')))
  }

  file (name: string): string {
    return path.join(this.dir, name)
  }

  ca (name: string): Ca {
    const key = this.file(`${name}.key`)
    const cert = this.file(`${name}.crt`)
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
      '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
    return { name, cert, key }
  }

  /** A leaf signed by `ca`, written as <name>.crt and <name>.key. */
  async leaf (ca: Ca, name: string, options: LeafOptions = {}): Promise<Pair> {
    const key = this.file(`${name}.key`)
    const csr = this.file(`${name}.csr`)
    const cert = this.file(`${name}.crt`)
    const ext = this.file(`${name}.ext`)
    const san = [...(options.dns ?? []).map((d) => `DNS:${d}`), ...(options.ips ?? []).map((ip) => `IP:${ip}`)]
    const subject = options.subject ?? `/CN=${options.dns?.[0] ?? name}`
    await writeFile(ext, [
      'basicConstraints=CA:FALSE',
      `extendedKeyUsage=${options.client === true ? 'clientAuth' : 'serverAuth'}`,
      ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : [])
    ].join('\n') + '\n')
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject])
    const days = options.expired === true ? ['-days', '-1'] : ['-days', '2']
    openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', String(this.serial++), '-out', cert, '-extfile', ext, ...days])
    return { cert, key }
  }

  async close (): Promise<void> {
    await rm(this.dir, { recursive: true, force: true })
  }
}
