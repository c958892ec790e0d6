// The admin web dashboard: polls GET /stats once a second and redraws. Plain script,
// no build step and nothing fetched from elsewhere, so it works on an offline box.
// Route names and URLs come from the config: every text goes in through textContent.
/* global document, window, fetch */
/** @typedef {import('../../src/stats/types.js').GatewayStats} GatewayStats */
/** @typedef {import('../../src/stats/types.js').TargetStats} TargetStats */

const POLL_MS = 1000
/** Points kept for the sparkline: two minutes of polls. */
const HISTORY = 120

/**
 * Requests per second between two polls, from the total's growth: the sparkline shows
 * bursts that the window's one-minute average would flatten.
 * @type {number[]}
 */
const history = []
/** @type {{ total: number, at: number } | null} */
let previous = null

const $ = (id) => document.getElementById(id)

/** An element with optional class and text (never HTML). */
function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className) node.className = className
  if (text !== undefined) node.textContent = String(text)
  return node
}

const fmt = {
  rate: (n) => n >= 100 ? n.toFixed(0) : n.toFixed(1),
  percent: (share) => (share * 100).toFixed(share > 0 && share < 0.1 ? 2 : 1) + ' %',
  ms: (ms) => ms === null ? '–' : ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms.toFixed(ms < 10 ? 2 : 0) + ' ms',
  count: (n) => n.toLocaleString('en-US'),
  duration (s) {
    const d = Math.floor(s / 86400)
    const h = Math.floor(s % 86400 / 3600)
    const m = Math.floor(s % 3600 / 60)
    return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`
  }
}

/** Colour class for an error share: green under 1 %, amber under 5 %, red above. */
const errorClass = (share) => share >= 0.05 ? 'state-bad' : share >= 0.01 ? 'state-warn' : 'state-ok'

/** A target's state, as text and colour class: the worst condition wins. */
function targetState (/** @type {TargetStats} */ t) {
  if (!t.healthy) return { text: 'unhealthy', cls: 'state-bad' }
  if (t.ejected) return { text: 'ejected', cls: 'state-bad' }
  if (t.breaker === 'open') return { text: 'breaker open', cls: 'state-bad' }
  if (t.breaker === 'half-open') return { text: 'breaker half-open', cls: 'state-warn' }
  return { text: 'healthy', cls: 'state-ok' }
}

function row (cells) {
  const tr = el('tr')
  for (const cell of cells) tr.append(cell)
  return tr
}

const num = (text, cls) => el('td', 'num' + (cls ? ' ' + cls : ''), text)

function renderSummary (/** @type {GatewayStats} */ s) {
  const r = s.requests
  $('meta').textContent = `v${s.version} · generation ${s.generation} · up ${fmt.duration(s.uptimeSeconds)} · ${s.ready ? 'ready' : 'not ready'}`
  $('rate').textContent = fmt.rate(r.rate)
  const errors = $('error-rate')
  errors.textContent = fmt.percent(r.errorRate)
  errors.className = 'big ' + errorClass(r.errorRate)
  $('by-class').textContent = `2xx ${r.byClass['2xx']} · 3xx ${r.byClass['3xx']} · 4xx ${r.byClass['4xx']} · 5xx ${r.byClass['5xx']}`
  $('latency').textContent = `${fmt.ms(r.p50)} / ${fmt.ms(r.p90)} / ${fmt.ms(r.p99)}`
  $('total').textContent = fmt.count(r.total)
  $('connections').textContent = `${s.connections.active} connections · ${s.connections.websockets} WebSockets`
  const p = s.policies
  $('policies').textContent = `rate limited ${p.rateLimited} · blocked ${p.blocked} · cache hit ${p.cache.hit} / miss ${p.cache.miss} / bypass ${p.cache.bypass} · connections refused ${p.connectionsRefused}`
  const redis = $('redis')
  if (s.redis === null) {
    redis.textContent = 'not configured: every store in-process'
    redis.className = 'small'
  } else if (s.redis.state === 'open') {
    redis.textContent = `down since ${new Date(s.redis.since).toLocaleTimeString()}: serving from in-process state, probing once a second (${s.redis.lastError})`
    redis.className = 'small state-bad'
  } else {
    redis.textContent = `up (${s.redis.connection}) · timeout ${s.redis.timeoutMs} ms · ${s.redis.inFlight} in flight`
    redis.className = 'small state-ok'
  }
  $('window').textContent = `Rates, errors and latency over the last ${s.windowSeconds} s; totals since start.`
}

function renderRoutes (/** @type {GatewayStats} */ s) {
  const rows = s.routes.map((r) => {
    const tr = row([el('td', '', r.name), num(fmt.count(r.requests)), num(fmt.rate(r.rate)),
      num(fmt.percent(r.errorRate), errorClass(r.errorRate)), num(fmt.ms(r.p50)), num(fmt.ms(r.p99))])
    tr.dataset.route = r.name
    return tr
  })
  if (rows.length === 0) rows.push(row([Object.assign(el('td', 'empty', 'no routes'), { colSpan: 6 })]))
  $('routes').tBodies[0].replaceChildren(...rows)
}

function renderUpstreams (/** @type {GatewayStats} */ s) {
  const tables = Object.entries(s.upstreams).map(([name, u]) => {
    const table = el('table')
    table.dataset.upstream = name
    table.append(el('caption', '', `${name} (${u.balancer})`))
    const thead = el('thead')
    thead.append(row([el('th', '', 'Target'), el('th', '', 'State'), el('th', '', 'Breaker'), el('th', 'num', 'Weight'), el('th', 'num', 'Active')]))
    const tbody = el('tbody')
    table.append(thead, tbody)
    for (const t of u.targets) {
      const state = targetState(t)
      const tr = row([el('td', 'url', t.url), el('td', state.cls, state.text),
        el('td', t.breaker === 'closed' ? '' : t.breaker === 'open' ? 'state-bad' : 'state-warn', t.breaker),
        num(t.weight), num(t.activeRequests)])
      tr.dataset.target = t.url
      tr.dataset.state = state.text
      tbody.append(tr)
    }
    return table
  })
  if (tables.length === 0) tables.push(el('p', 'empty', 'no upstreams'))
  $('upstreams').replaceChildren(...tables)
}

function renderReloads (/** @type {GatewayStats} */ s) {
  const items = s.reloads.map((r) => {
    const li = el('li')
    li.append(el('span', r.result === 'success' ? 'state-ok' : 'state-bad', r.result),
      ` ${r.at} · generation ${r.generation}` + (r.error ? ` · ${r.error}` : ''))
    return li
  })
  if (items.length === 0) items.push(el('li', 'empty', 'none since start'))
  $('reloads').replaceChildren(...items)
}

function drawSparkline () {
  const canvas = $('sparkline')
  const ctx = canvas.getContext('2d')
  if (ctx === null) return
  const ratio = window.devicePixelRatio || 1
  const width = canvas.clientWidth
  const height = canvas.clientHeight
  canvas.width = width * ratio
  canvas.height = height * ratio
  ctx.scale(ratio, ratio)
  ctx.clearRect(0, 0, width, height)
  if (history.length < 2) return
  const max = Math.max(1, ...history)
  const step = width / (HISTORY - 1)
  const x0 = width - step * (history.length - 1)
  ctx.beginPath()
  history.forEach((v, i) => {
    const x = x0 + i * step
    const y = height - 2 - (v / max) * (height - 4)
    if (i === 0) ctx.moveTo(x, y)
    else ctx.lineTo(x, y)
  })
  ctx.strokeStyle = '#0969da'
  ctx.lineWidth = 1.5
  ctx.stroke()
}

function setStatus (live, text) {
  const status = $('status')
  status.textContent = text
  status.className = 'status ' + (live ? 'status-live' : 'status-down')
}

async function poll () {
  try {
    const response = await fetch('stats', { cache: 'no-store', headers: { accept: 'application/json' } })
    if (!response.ok) throw new Error(`GET /stats answered ${response.status}`)
    /** @type {GatewayStats} */
    const stats = await response.json()
    renderSummary(stats)
    renderRoutes(stats)
    renderUpstreams(stats)
    renderReloads(stats)
    const now = Date.now()
    if (previous !== null && now > previous.at) {
      history.push(Math.max(0, stats.requests.total - previous.total) / ((now - previous.at) / 1000))
      if (history.length > HISTORY) history.shift()
    }
    previous = { total: stats.requests.total, at: now }
    drawSparkline()
    setStatus(true, 'live')
    document.body.dataset.updated = String(Date.now())
  } catch (err) {
    setStatus(false, 'disconnected: ' + (err instanceof Error ? err.message : String(err)))
  } finally {
    // Chained, not setInterval: a slow answer never stacks polls up.
    window.setTimeout(poll, POLL_MS)
  }
}

void poll()
