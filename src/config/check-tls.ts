// Cross-checks of the TLS settings (`server.tls`, `upstreams.*.tls`): every file
// exists and parses, each key belongs to its certificate, and the settings make sense
// together. Files are read here, at load time, so a broken pair is a config error with
// its key path instead of a listener that fails to start or a handshake that fails.
import path from 'node:path'
import type { Issue, KeyPath } from './problem.js'
import { entriesOf, isObject, itemsOf } from './guards.js'
import { serverPairs } from '../tls/config-files.js'
import { PemError, loadCa, loadPair } from '../tls/pem-files.js'

export function tlsIssues (config: Record<string, unknown>, baseDir: string): Issue[] {
  const server = isObject(config.server) ? config.server : {}
  const issues = isObject(server.tls) ? serverTlsIssues(server.tls, baseDir) : []
  for (const [name, upstream] of entriesOf(config.upstreams)) {
    if (isObject(upstream) && isObject(upstream.tls)) issues.push(...upstreamTlsIssues(name, upstream, upstream.tls, baseDir))
  }
  return issues
}

function serverTlsIssues (tls: Record<string, unknown>, baseDir: string): Issue[] {
  const at: KeyPath = ['server', 'tls']
  const issues = halfPairIssues(tls, at)
  if (tls.cert === undefined && tls.key === undefined && tls.certificates === undefined) {
    issues.push({ path: at, message: 'give a certificate: cert and key, or certificates: [{ cert, key }, ...]' })
  }
  itemsOf(tls.certificates).forEach((pair, i) => {
    if (isObject(pair)) issues.push(...halfPairIssues(pair, [...at, 'certificates', i]))
  })
  for (const pair of serverPairs(tls)) issues.push(...pairIssues(pair.cert, pair.key, pair.at, baseDir))
  if (typeof tls.clientCA === 'string') issues.push(...caIssues(tls.clientCA, [...at, 'clientCA'], baseDir))
  if (tls.requireClientCert === true && tls.clientCA === undefined) {
    issues.push({ path: [...at, 'requireClientCert'], message: 'requireClientCert needs clientCA: the CA that client certificates must chain to' })
  }
  return issues
}

function upstreamTlsIssues (name: string, upstream: Record<string, unknown>, tls: Record<string, unknown>, baseDir: string): Issue[] {
  const at: KeyPath = ['upstreams', name, 'tls']
  const issues = halfPairIssues(tls, at)
  if (typeof tls.cert === 'string' && typeof tls.key === 'string') issues.push(...pairIssues(tls.cert, tls.key, at, baseDir))
  if (typeof tls.ca === 'string') issues.push(...caIssues(tls.ca, [...at, 'ca'], baseDir))
  const urls = itemsOf(upstream.targets).map((t) => isObject(t) ? t.url : undefined).filter((u) => typeof u === 'string')
  if (urls.length > 0 && !urls.some((u) => u.startsWith('https://'))) {
    issues.push({ path: at, message: 'tls applies to https:// targets, and this upstream has none', at: 'key' })
  }
  return issues
}

/** `cert` without `key` or the other way round. */
function halfPairIssues (holder: Record<string, unknown>, at: KeyPath): Issue[] {
  if (holder.cert !== undefined && holder.key === undefined) return [{ path: [...at, 'cert'], message: 'cert needs key (its private key) beside it', at: 'key' }]
  if (holder.key !== undefined && holder.cert === undefined) return [{ path: [...at, 'key'], message: 'key needs cert (its certificate) beside it', at: 'key' }]
  return []
}

function pairIssues (cert: string, key: string, at: KeyPath, baseDir: string): Issue[] {
  try {
    loadPair(path.resolve(baseDir, cert), path.resolve(baseDir, key))
    return []
  } catch (err) {
    if (!(err instanceof PemError)) throw err
    return [{ path: [...at, err.file], message: err.message }]
  }
}

function caIssues (file: string, at: KeyPath, baseDir: string): Issue[] {
  try {
    loadCa(path.resolve(baseDir, file))
    return []
  } catch (err) {
    if (!(err instanceof PemError)) throw err
    return [{ path: at, message: err.message }]
  }
}
