// One OpenTelemetry tracer provider for the process: OTLP/HTTP (JSON) export through a
// BatchSpanProcessor, ParentBased(TraceIdRatioBased) sampling, service name `turnpike`.
//
// No auto-instrumentation (@opentelemetry/sdk-node, instrumentation-http/undici): it
// patches node:http and undici for every request, the admin API, health checks and
// exporter calls included, and cannot know routes, targets or retries. The gateway
// starts its own spans at the points it knows (src/tracing/request-trace.ts).
//
// Loaded with import() only when a config enables tracing (process-tracing.ts): the
// SDK, exporter and propagator take hundreds of milliseconds to load.
import type { Tracer } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler
} from '@opentelemetry/sdk-trace-base'
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions'
import type { FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { redactUrl } from '../config/redact.js'
import type { GatewayConfig } from '../config/schema.js'
import { VERSION } from '../version.js'
import { QuietExporter } from './quiet-exporter.js'
import { RequestTrace } from './request-trace.js'

export type TracingConfig = NonNullable<GatewayConfig['tracing']>

/** How long one export may take before it is abandoned (the collector is slow or gone). */
const EXPORT_TIMEOUT_MS = 5000

export class Tracing {
  readonly tracer: Tracer
  private readonly provider: BasicTracerProvider
  private stopped: Promise<void> | null = null

  constructor (readonly settings: Readonly<TracingConfig>, logger: Logger) {
    const otlp = new OTLPTraceExporter({ url: settings.endpoint, timeoutMillis: EXPORT_TIMEOUT_MS })
    const exporter = new QuietExporter(otlp, redactUrl(settings.endpoint), logger)
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'turnpike', [ATTR_SERVICE_VERSION]: VERSION }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.sampleRatio) }),
      // Its queue (2048 spans, OTEL_BSP_MAX_QUEUE_SIZE) bounds memory while the collector
      // is down: spans past it are dropped. OTEL_BSP_SCHEDULE_DELAY sets the batch delay.
      spanProcessors: [new BatchSpanProcessor(exporter, { exportTimeoutMillis: EXPORT_TIMEOUT_MS })]
    })
    this.tracer = this.provider.getTracer('turnpike', VERSION)
  }

  /** The spans of a request that has just reached the routing hook. */
  startRequest (request: FastifyRequest, clientAddress: string): RequestTrace {
    return RequestTrace.start(this.tracer, request, clientAddress)
  }

  /** True when `config` would build this same provider (a reload keeps it). */
  sameAs (config: Readonly<TracingConfig>): boolean {
    return config.endpoint === this.settings.endpoint && config.sampleRatio === this.settings.sampleRatio
  }

  /** Exports what is queued, then stops; spans ended later are dropped. Never rejects. */
  async shutdown (): Promise<void> {
    this.stopped ??= this.provider.shutdown().catch(() => undefined)
    await this.stopped
  }
}
