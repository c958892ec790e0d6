// Export failures reach the log at most once a minute, with counts, and the recovery
// once; the exporter's results pass through unchanged.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import pino from 'pino'
import { QuietExporter } from '../src/tracing/quiet-exporter.js'

interface Line { level: number, msg: string, failedExports?: number, droppedSpans?: number, endpoint?: string }

function setup (): { exporter: QuietExporter, lines: Line[], results: ExportResult[], clock: { now: number }, next: { ok: boolean } } {
  const lines: Line[] = []
  const logger = pino({ level: 'info' }, { write (text: string) { lines.push(JSON.parse(text) as Line) } })
  const next = { ok: false }
  const inner: SpanExporter = {
    export (_spans, done) {
      done(next.ok ? { code: ExportResultCode.SUCCESS } : { code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED') })
    },
    async shutdown () {}
  }
  const clock = { now: 1_000_000 }
  const results: ExportResult[] = []
  const exporter = new QuietExporter(inner, 'http://collector:4318/v1/traces', logger, () => clock.now)
  return { exporter, lines, results, clock, next }
}

const spans = (n: number): ReadableSpan[] => Array.from({ length: n }, () => ({}) as ReadableSpan)

test('a collector that stays down is logged once a minute, with what was lost', () => {
  const { exporter, lines, results, clock } = setup()
  for (let i = 0; i < 50; i++) {
    exporter.export(spans(10), (r) => results.push(r))
    clock.now += 1000
  }
  assert.equal(results.length, 50)
  assert.ok(results.every((r) => r.code === ExportResultCode.FAILED))
  assert.equal(lines.length, 1)
  assert.equal(lines[0]?.level, 40)
  assert.equal(lines[0]?.endpoint, 'http://collector:4318/v1/traces')
  assert.equal(lines[0]?.failedExports, 1)
  for (let i = 0; i < 20; i++) {
    exporter.export(spans(10), (r) => results.push(r))
    clock.now += 1000
  }
  assert.equal(lines.length, 2, 'one more line after a minute')
  assert.equal(lines[1]?.failedExports, 61)
  assert.equal(lines[1]?.droppedSpans, 610)
})

test('the recovery is logged once, and a later outage is reported at once', () => {
  const { exporter, lines, clock, next } = setup()
  exporter.export(spans(1), () => undefined)
  exporter.export(spans(1), () => undefined)
  next.ok = true
  exporter.export(spans(1), () => undefined)
  exporter.export(spans(1), () => undefined)
  assert.deepEqual(lines.map((l) => [l.level, l.failedExports]), [[40, 1], [30, 2]])
  assert.match(lines[1]?.msg ?? '', /recovered/)
  next.ok = false
  clock.now += 1000
  exporter.export(spans(1), () => undefined)
  assert.equal(lines.length, 3)
  assert.equal(lines[2]?.failedExports, 1)
})
