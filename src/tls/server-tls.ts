// The data plane's TLS: the certificates of `server.tls`, a secure context for each,
// picked per handshake by SNI, and the watch on their files. A renewed pair is served
// to new connections without a restart (the SNI table and the server's default
// context are swapped; open connections keep the context they shook hands with). A
// broken pair (missing, unparsable, key not matching) is rejected as a whole: the
// running certificates stay. One object per listener, owned by the Gateway; the
// options it gives suit https.createServer and http2.createSecureServer alike.
import { createHash } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createSecureContext, type SecureContext, type SecureContextOptions, type SecureVersion, type Server as TlsServer, type TlsOptions } from 'node:tls'
import type { Logger } from 'pino'
import type { ServerTlsConfig } from '../config/schema.js'
import { watchConfig, type ConfigWatcher } from '../config/watch.js'
import { serverPairs } from './config-files.js'
import { PemError, loadCa, loadPair, type CertificatePair } from './pem-files.js'
import { SniTable } from './sni-table.js'

/** How long after the last event on any of the files they are read again. */
const SETTLE_MS = 200

/** What one look at the files found. */
export type FilesOutcome =
  | { readonly result: 'unchanged' }
  | { readonly result: 'success', readonly certificates: ReadonlyArray<{ subject: string, names: readonly string[], notAfter: string }> }
  | { readonly result: 'failure', readonly error: string }

interface Loaded {
  readonly pairs: readonly CertificatePair[]
  readonly ca: Buffer | undefined
  readonly digest: string
}

export class ServerTls extends EventEmitter<{ files: [FilesOutcome] }> {
  private loaded: Loaded
  private table: SniTable<SecureContext>
  private server: TlsServer | null = null
  private watchers: ConfigWatcher[] = []
  /** The shared wait after a file event (see `watch`). */
  private settling: NodeJS.Timeout | null = null

  /** Reads the files; throws when they are unusable (the config checks have said why). */
  constructor (private readonly config: ServerTlsConfig, private readonly logger: Logger) {
    super()
    const loaded = this.read()
    if ('error' in loaded) throw new Error(loaded.error)
    this.loaded = loaded
    this.table = this.buildTable(loaded)
    this.warnExpiring(loaded.pairs)
  }

  /** For the listener: the default certificate, SNI selection and client certificates. */
  serverOptions (): TlsOptions {
    const clientCA = this.config.clientCA !== undefined
    return {
      ...this.contextOptions(this.loaded.pairs[0]!, this.loaded.ca),
      SNICallback: (servername, done) => { done(null, this.table.pick(servername)) },
      // With a clientCA the certificate is asked for; only requireClientCert refuses a
      // client without a valid one (otherwise the request goes on without an identity).
      requestCert: clientCA,
      rejectUnauthorized: clientCA && this.config.requireClientCert
    }
  }

  /** The listener whose default context follows the files (https or, later, http2 secure). */
  attach (server: TlsServer): void {
    this.server = server
    // Failed handshakes (no client certificate, a protocol too old, a scanner) are
    // routine at an edge: debug only. Node destroys the socket either way.
    server.on('tlsClientError', (err: Error & { code?: string }, socket) => {
      this.logger.debug({ code: err.code, reason: err.message, peer: socket.remoteAddress }, 'TLS handshake failed')
    })
  }

  /**
   * Watches every file (a rename into place, as editors, certbot and Kubernetes Secrets
   * do, is seen). A renewal replaces a key and its certificate one after the other:
   * events from all the files share one short wait, so the pair is read once, whole,
   * and a half-renewed pair is never reported as a broken one.
   */
  async watch (): Promise<void> {
    const settle = (): void => {
      if (this.settling === null) this.settling = setTimeout(() => { this.settling = null; this.reread() }, SETTLE_MS).unref()
      else this.settling.refresh()
    }
    this.watchers = [...new Set(this.files())].map((file) => watchConfig(file, settle))
    await Promise.all(this.watchers.map(async (w) => { await w.ready }))
  }

  /** Re-reads every file; swaps in the new certificates when they changed and are all usable. */
  reread (): FilesOutcome {
    const next = this.read()
    let outcome: FilesOutcome
    if ('error' in next) {
      this.logger.error({ error: next.error }, 'TLS certificate files rejected; still serving the previous certificates')
      outcome = { result: 'failure', error: next.error }
    } else if (next.digest === this.loaded.digest) {
      outcome = { result: 'unchanged' }
    } else {
      this.table = this.buildTable(next)
      this.loaded = next
      this.server?.setSecureContext(this.contextOptions(next.pairs[0]!, next.ca))
      const certificates = next.pairs.map((p) => ({ subject: p.subject, names: p.names, notAfter: p.notAfter }))
      this.logger.info({ certificates }, 'TLS certificates reloaded; new connections get them')
      this.warnExpiring(next.pairs)
      outcome = { result: 'success', certificates }
    }
    this.emit('files', outcome)
    return outcome
  }

  async close (): Promise<void> {
    if (this.settling !== null) clearTimeout(this.settling)
    this.settling = null
    await Promise.all(this.watchers.map(async (w) => { await w.close() }))
    this.watchers = []
  }

  private files (): string[] {
    const files = serverPairs(this.config).flatMap((p) => [p.cert, p.key])
    if (this.config.clientCA !== undefined) files.push(this.config.clientCA)
    return files
  }

  /** Every file, or the first problem as `key.path: message`. */
  private read (): Loaded | { error: string } {
    const pairs: CertificatePair[] = []
    const hash = createHash('sha256')
    for (const ref of serverPairs(this.config)) {
      const pair = attempt(() => loadPair(ref.cert, ref.key))
      if (pair instanceof PemError) return { error: `${[...ref.at, pair.file].join('.')}: ${pair.message}` }
      hash.update(pair.cert).update(pair.key)
      pairs.push(pair)
    }
    const file = this.config.clientCA
    const ca = file === undefined ? undefined : attempt(() => loadCa(file))
    if (ca instanceof PemError) return { error: `server.tls.clientCA: ${ca.message}` }
    if (ca !== undefined) hash.update(ca)
    return { pairs, ca, digest: hash.digest('hex') }
  }

  private contextOptions (pair: CertificatePair, ca: Buffer | undefined): SecureContextOptions {
    return { cert: pair.cert, key: pair.key, minVersion: this.config.minVersion as SecureVersion, ...(ca === undefined ? {} : { ca }) }
  }

  private buildTable (loaded: Loaded): SniTable<SecureContext> {
    const entries = loaded.pairs.map((pair) => ({ names: pair.names, value: createSecureContext(this.contextOptions(pair, loaded.ca)) }))
    return new SniTable(entries, entries[0]!.value)
  }

  private warnExpiring (pairs: readonly CertificatePair[]): void {
    for (const p of pairs) {
      if (Date.parse(p.notAfter) < Date.now()) this.logger.warn({ cert: p.certFile, notAfter: p.notAfter }, 'TLS certificate has expired')
    }
  }
}

/** The value, or the PemError it threw (anything else propagates). */
function attempt<T> (read: () => T): T | PemError {
  try {
    return read()
  } catch (err) {
    if (err instanceof PemError) return err
    throw err
  }
}
