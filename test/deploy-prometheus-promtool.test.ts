// deploy/prometheus checked by promtool (Debian package `prometheus`): the scrape
// config and the alert rules parse, and the rules' unit tests (alerts.test.yml) pass —
// target-down and circuit-open among them, fired by synthetic series.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { parse } from 'yaml'
import { ROOT } from './helpers/child.js'

const DIR = path.join(ROOT, 'deploy', 'prometheus')

function promtool (...args: string[]): { status: number | null, output: string } {
  const result = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' })
  if (result.error !== undefined) throw new Error(`promtool: ${result.error.message} (apt-get install prometheus)`)
  return { status: result.status, output: result.stdout + result.stderr }
}

test('promtool check config accepts prometheus.yml and finds the rule file', () => {
  const { status, output } = promtool('check', 'config', 'prometheus.yml')
  assert.equal(status, 0, output)
  assert.match(output, /1 rule files found/)
})

test('promtool check rules accepts alerts.yml', () => {
  const { status, output } = promtool('check', 'rules', 'alerts.yml')
  assert.equal(status, 0, output)
})

test('promtool test rules: the alerts fire on synthetic series', () => {
  const { status, output } = promtool('test', 'rules', 'alerts.test.yml')
  assert.equal(status, 0, output)
  assert.match(output, /SUCCESS/)
})

test('every alert has a severity label and summary and description annotations', () => {
  const rules = parse(readFileSync(path.join(DIR, 'alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<Record<string, any>> }> } // eslint-disable-line @typescript-eslint/no-explicit-any
  const alerts = rules.groups.flatMap((g) => g.rules)
  for (const names of ['TurnpikeHigh5xxRatio', 'TurnpikeTargetDown', 'TurnpikeCircuitOpen', 'TurnpikeConfigReloadFailing', 'TurnpikeRedisErrors', 'TurnpikeRedisDown', 'TurnpikeRateLimitingSpike']) {
    assert.ok(alerts.some((a) => a.alert === names), names)
  }
  for (const alert of alerts) {
    assert.match(alert.labels?.severity ?? '', /^(critical|warning|info)$/, alert.alert)
    assert.match(alert.annotations?.summary ?? '', /\S/, alert.alert)
    assert.match(alert.annotations?.description ?? '', /\S/, alert.alert)
  }
})
