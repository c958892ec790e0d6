// Wraps the OTLP exporter so that a collector that is down is reported in the log, but
// at most once a minute: with a batch every few seconds, one line per failed export
// would bury everything else. Requests never wait on an export, so a failure is only
// ever lost spans.
import { ExportResultCode, type ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import type { Logger } from 'pino'

const LOG_EVERY_MS = 60_000

export class QuietExporter implements SpanExporter {
  private failures = 0
  private droppedSpans = 0
  private lastLoggedAt = -Infinity

  constructor (private readonly inner: SpanExporter, private readonly endpoint: string,
    private readonly logger: Logger, private readonly now: () => number = Date.now) {}

  export (spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) this.succeeded()
      else this.failed(spans.length, result.error)
      done(result)
    })
  }

  private succeeded (): void {
    if (this.failures === 0) return
    this.logger.info({ endpoint: this.endpoint, failedExports: this.failures, droppedSpans: this.droppedSpans }, 'trace export recovered')
    this.failures = 0
    this.droppedSpans = 0
    this.lastLoggedAt = -Infinity
  }

  private failed (spans: number, error: Error | undefined): void {
    this.failures++
    this.droppedSpans += spans
    const now = this.now()
    if (now - this.lastLoggedAt < LOG_EVERY_MS) return
    this.lastLoggedAt = now
    this.logger.warn({ endpoint: this.endpoint, err: error?.message, failedExports: this.failures, droppedSpans: this.droppedSpans },
      'trace export failed; spans are dropped until the collector answers (logged at most once a minute)')
  }

  async shutdown (): Promise<void> {
    await this.inner.shutdown()
  }

  async forceFlush (): Promise<void> {
    await this.inner.forceFlush?.()
  }
}
