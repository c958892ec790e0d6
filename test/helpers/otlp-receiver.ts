// A minimal OTLP/HTTP trace receiver on an ephemeral port: accepts POST /v1/traces in
// the JSON encoding (what @opentelemetry/exporter-trace-otlp-http sends) and keeps
// every span, flattened, for tests to assert on.
import { EventEmitter, once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

/** OTLP's span kinds as numbers in the JSON encoding. */
export const SERVER = 2
export const CLIENT = 3
/** OTLP's status code for an error. */
export const STATUS_ERROR = 2

export interface ReceivedSpan {
  readonly traceId: string
  readonly spanId: string
  /** '' for a root span. */
  readonly parentSpanId: string
  readonly name: string
  readonly kind: number
  readonly attributes: Readonly<Record<string, string | number | boolean>>
  readonly statusCode: number
  /** The resource's service.name. */
  readonly service: string
}

export interface Receiver {
  /** The endpoint to configure as tracing.endpoint. */
  readonly url: string
  readonly spans: ReceivedSpan[]
  /** Export requests received so far. */
  readonly posts: number
  /** Resolves once at least `count` spans have arrived. */
  waitForSpans (count: number): Promise<ReceivedSpan[]>
  close (): Promise<void>
}

interface OtlpValue { stringValue?: string, intValue?: string | number, boolValue?: boolean, doubleValue?: number }
interface OtlpAttribute { key: string, value: OtlpValue }
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes?: OtlpAttribute[]
  status?: { code?: number }
}
interface OtlpRequest {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpAttribute[] }, scopeSpans?: Array<{ spans?: OtlpSpan[] }> }>
}

function valueOf (value: OtlpValue): string | number | boolean {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.boolValue !== undefined) return value.boolValue
  return value.doubleValue ?? ''
}

function attributesOf (list: OtlpAttribute[] = []): Record<string, string | number | boolean> {
  return Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]))
}

function flatten (body: OtlpRequest): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((rs) => {
    const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '')
    return (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId ?? '',
      name: s.name,
      kind: s.kind,
      attributes: attributesOf(s.attributes),
      statusCode: s.status?.code ?? 0,
      service
    })))
  })
}

export async function startReceiver (): Promise<Receiver> {
  const spans: ReceivedSpan[] = []
  const arrived = new EventEmitter()
  let posts = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
        res.writeHead(415).end()
        return
      }
      let raw = Buffer.concat(chunks)
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw)
      posts++
      spans.push(...flatten(JSON.parse(raw.toString('utf8')) as OtlpRequest))
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      arrived.emit('spans')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    spans,
    get posts () { return posts },
    async waitForSpans (count) {
      while (spans.length < count) await once(arrived, 'spans')
      return spans
    },
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}
