// The admin web dashboard in headless Chromium (Debian `chromium`, driven by
// playwright-core, which never downloads a browser): it loads with no console error and
// no failed request, shows the routes and targets, follows a target going unhealthy,
// and shows config text as text. A screenshot is kept in test-artifacts/.
import assert from 'node:assert/strict'
import { mkdir, open, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { test } from 'node:test'
import { chromium } from 'playwright-core'
import { startBackend } from './helpers/backend.js'
import { BASE, startGateway } from './helpers/gateway.js'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = path.resolve('test-artifacts')
const UI_TIMEOUT = { timeout: 10_000 }

async function isPng (file: string): Promise<boolean> {
  const handle = await open(file)
  try {
    const { buffer } = await handle.read(Buffer.alloc(8), 0, 8, 0)
    return buffer.equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  } finally {
    await handle.close()
  }
}

test('the dashboard shows routes and targets, follows a target going unhealthy, and escapes config text', async (t) => {
  let sick = false
  const a = await startBackend((req, res) => { res.writeHead(req.url === '/health' && sick ? 500 : 200).end('a') })
  const b = await startBackend((_req, res) => { res.writeHead(200).end('b') })
  const yaml = `${BASE}upstreams:
  app:
    targets: [{ url: "${a.url}" }, { url: "${b.url}" }]
    healthCheck: { interval: 200ms, timeout: 500ms, unhealthyThreshold: 1, healthyThreshold: 1 }
routes:
  - { name: orders-api, match: { path: /orders }, upstream: app }
  - { name: static.assets, match: { path: / }, upstream: app }
`
  const gw = await startGateway(yaml)
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']
  })
  // The browser goes first: its polling must not outlive the gateway.
  t.after(async () => { await browser.close(); await gw.close(); await a.close(); await b.close() })

  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } })
  const problems: string[] = []
  page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`) })
  page.on('pageerror', (err) => { problems.push(`page error: ${err.message}`) })
  page.on('requestfailed', (request) => { problems.push(`failed: ${request.url()} ${request.failure()?.errorText ?? ''}`) })
  page.on('response', (response) => { if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`) })
  const requested: string[] = []
  page.on('request', (request) => { requested.push(request.url()) })

  for (let i = 0; i < 20; i++) await (await fetch(`${gw.url}/orders/${i}`)).arrayBuffer()
  await page.goto(`${gw.adminUrl}/`)
  assert.equal(await page.title(), 'Turnpike')

  const orders = page.locator('#routes tbody tr[data-route="orders-api"]')
  await orders.waitFor(UI_TIMEOUT)
  await page.locator('#routes tbody tr[data-route="static.assets"]').waitFor(UI_TIMEOUT)
  assert.match(await orders.innerText(), /orders-api\s+20\b/)
  await page.locator(`tr[data-target="${a.url}"][data-state="healthy"]`).waitFor(UI_TIMEOUT)
  await page.locator(`tr[data-target="${b.url}"][data-state="healthy"]`).waitFor(UI_TIMEOUT)
  assert.match(await page.locator('#status').innerText(), /live/)

  sick = true
  const down = page.locator(`tr[data-target="${a.url}"][data-state="unhealthy"]`)
  await down.waitFor(UI_TIMEOUT)
  assert.match(await down.innerText(), /unhealthy/) // written out, not only coloured
  assert.equal(await page.locator(`tr[data-target="${b.url}"]`).getAttribute('data-state'), 'healthy')

  // A rejected reload's error quotes the config: markup in it must stay text.
  await writeFile(gw.file, yaml.replace('upstream: app }\n  - { name: static', 'upstream: "<img id=injected src=/x>" }\n  - { name: static'))
  const reload = await fetch(`${gw.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer test-token' } })
  assert.equal(reload.status, 422)
  await page.locator('#reloads li', { hasText: '<img id=injected' }).waitFor(UI_TIMEOUT)
  assert.equal(await page.locator('#injected').count(), 0)

  await mkdir(ARTIFACTS, { recursive: true })
  const shot = path.join(ARTIFACTS, 'dashboard.png')
  await page.screenshot({ path: shot, fullPage: true })
  assert.ok(await isPng(shot), `${shot} is not a PNG`)

  assert.deepEqual(problems, [])
  const origin = new URL(gw.adminUrl).origin
  assert.deepEqual(requested.filter((url) => !url.startsWith(origin + '/')), [], 'everything comes from the admin server')
})
