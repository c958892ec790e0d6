// Without admin.token, mutating admin calls are disabled: 403, whatever is sent.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { request } from 'undici'
import { startGateway } from './helpers/gateway.js'

test('POST /reload answers 403 when no admin token is configured', async () => {
  const gw = await startGateway(`
server: { host: 127.0.0.1, port: 0 }
admin: { host: 127.0.0.1, port: 0 }
logging: { level: error }
`)
  try {
    const res = await request(gw.adminUrl + '/reload', { method: 'POST', headers: { authorization: 'Bearer anything' } })
    assert.equal(res.statusCode, 403)
    assert.equal((await res.body.json() as { code: string }).code, 'TURNPIKE_ADMIN_FORBIDDEN')
  } finally {
    await gw.close()
  }
})
