// TLS settings are checked when the config loads: files exist and parse, each key
// belongs to its certificate, and the settings fit together; every problem names the
// file, line and key. Relative file names are relative to the config file.
import assert from 'node:assert/strict'
import { copyFile } from 'node:fs/promises'
import path from 'node:path'
import { after, test } from 'node:test'
import { formatProblem, parseConfigText } from '../src/config/load.js'
import { CertFactory } from './helpers/certs.js'
import { configProblems } from './helpers/config.js'

const certs = await CertFactory.create()
const ca = certs.ca('ca')
await certs.leaf(ca, 'api', { dns: ['api.example.com'] })
const other = await certs.leaf(ca, 'other', { dns: ['other.example.com'] })
after(async () => { await certs.close() })

const file = (): string => path.join(certs.dir, 'gateway.yaml')
const lines = (text: string): string[] => configProblems(text, file()).map(formatProblem)
/** `FILE:LINE:COL` of the first `needle` in `text`. */
function at (text: string, needle: string): string {
  const before = text.slice(0, text.indexOf(needle)).split('\n')
  return `${file()}:${before.length}:${(before.at(-1) ?? '').length + 1}`
}

test('a key that is not the certificate\'s, an unparsable certificate, a missing file', () => {
  const text = `server:
  tls:
    certificates:
      - { cert: api.crt, key: other.key }
      - { cert: ca.key, key: api.key }
      - { cert: api.crt, key: missing.key }
`
  assert.deepEqual(lines(text), [
    `${at(text, 'other.key')} server.tls.certificates.0.key: '${certs.file('other.key')}' is not the private key of the certificate in '${certs.file('api.crt')}'`,
    `${at(text, 'ca.key')} server.tls.certificates.1.cert: '${certs.file('ca.key')}' is not a PEM certificate`,
    `${at(text, 'missing.key')} server.tls.certificates.2.key: cannot read '${certs.file('missing.key')}' (no such file)`
  ])
})

test('settings that do not fit together', () => {
  const text = `server:
  tls: { cert: api.crt, requireClientCert: true, minVersion: TLSv1.1 }
upstreams:
  plain:
    targets: [{ url: "http://127.0.0.1:8000" }]
    tls: { verify: false }
  private:
    targets: [{ url: "https://127.0.0.1:8443" }]
    tls: { ca: api.key }
`
  const problems = lines(text)
  assert.ok(problems.includes(`${at(text, 'cert:')} server.tls.cert: cert needs key (its private key) beside it`), problems.join('\n'))
  assert.ok(problems.includes(`${at(text, 'true')} server.tls.requireClientCert: requireClientCert needs clientCA: the CA that client certificates must chain to`))
  assert.ok(problems.some((p) => p.startsWith(`${at(text, 'TLSv1.1')} server.tls.minVersion:`)))
  assert.ok(problems.includes(`${at(text, 'tls: { verify')} upstreams.plain.tls: tls applies to https:// targets, and this upstream has none`))
  assert.ok(problems.includes(`${at(text, 'api.key }')} upstreams.private.tls.ca: '${certs.file('api.key')}' is not a PEM certificate`))
  assert.deepEqual(lines('server:\n  tls: { minVersion: TLSv1.3 }\n'), [
    `${file()}:2:8 server.tls: give a certificate: cert and key, or certificates: [{ cert, key }, ...]`
  ])
})

test('a valid TLS config: paths resolved against the config file, the shorthand beside certificates', async () => {
  await copyFile(other.cert, certs.file('second.crt'))
  const loaded = parseConfigText(`server:
  tls:
    cert: api.crt
    key: api.key
    certificates: [{ cert: second.crt, key: other.key }]
    clientCA: ca.crt
upstreams:
  users:
    targets: [{ url: "https://127.0.0.1:8443" }]
    tls: { ca: ca.crt, cert: api.crt, key: api.key, servername: users.internal }
`, file(), {})
  const tls = loaded.config.server.tls
  assert.equal(tls?.cert, certs.file('api.crt'))
  assert.deepEqual(tls?.certificates, [{ cert: certs.file('second.crt'), key: certs.file('other.key') }])
  assert.equal(tls?.clientCA, certs.file('ca.crt'))
  assert.equal(tls?.minVersion, 'TLSv1.2')
  assert.equal(tls?.requireClientCert, false)
  assert.deepEqual(loaded.config.upstreams.users?.tls, {
    ca: certs.file('ca.crt'), cert: certs.file('api.crt'), key: certs.file('api.key'), servername: 'users.internal', verify: true
  })
})
