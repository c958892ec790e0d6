// turnpike_requests_total is counted in plain numbers and handed to prom-client when it
// collects: every scrape reads exact counts, none is counted twice, and a series asked
// for again (a new generation's route) is the same series.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GatewayMetrics } from '../src/metrics.js'

async function requestsTotal (metrics: GatewayMetrics): Promise<string[]> {
  const { text } = await metrics.exposition()
  return text.split('\n').filter((line) => line.startsWith('turnpike_requests_total{'))
}

test('a scrape reads what was counted since the last one, once', async () => {
  const metrics = new GatewayMetrics()
  const ok = metrics.requestCount('api', 'GET', 200, 'http1')
  ok.pending++
  ok.pending++
  metrics.observeRequest('(none)', 'GET', 404, 0.001)
  assert.deepEqual(await requestsTotal(metrics), [
    'turnpike_requests_total{route="api",method="GET",status="200",protocol="http1"} 2',
    'turnpike_requests_total{route="(none)",method="GET",status="404",protocol="http1"} 1'
  ])
  // Nothing new: the same numbers, not twice them.
  assert.deepEqual(await requestsTotal(metrics), [
    'turnpike_requests_total{route="api",method="GET",status="200",protocol="http1"} 2',
    'turnpike_requests_total{route="(none)",method="GET",status="404",protocol="http1"} 1'
  ])
  // The next generation's route asks for the same series and adds to it.
  metrics.requestCount('api', 'GET', 200, 'http1').pending++
  metrics.observeRequest('split', 'POST', 201, 0.001, 'canary', 'h2')
  assert.deepEqual(await requestsTotal(metrics), [
    'turnpike_requests_total{route="api",method="GET",status="200",protocol="http1"} 3',
    'turnpike_requests_total{route="(none)",method="GET",status="404",protocol="http1"} 1',
    'turnpike_requests_total{route="split",method="POST",status="201",protocol="h2",upstream="canary"} 1'
  ])
  metrics.close()
})

test('a cluster worker\'s report (metrics as JSON) carries the counts too', async () => {
  const metrics = new GatewayMetrics()
  metrics.requestCount('api', 'GET', 200, 'http1').pending += 5
  const json = await metrics.registry.getMetricsAsJSON()
  const total = json.find((metric) => metric.name === 'turnpike_requests_total')
  assert.deepEqual(total?.values.map((v) => [v.labels, v.value]), [[{ route: 'api', method: 'GET', status: '200', protocol: 'http1' }, 5]])
  metrics.close()
})
