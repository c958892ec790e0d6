// The health settings of an upstream as the running config has them (defaults filled,
// durations in milliseconds).
import type { UpstreamConfig } from '../../config/schema.js'

export type HealthCheckConfig = NonNullable<UpstreamConfig['healthCheck']>
export type OutlierDetectionConfig = NonNullable<UpstreamConfig['outlierDetection']>

/** What of an upstream's config the health of its targets depends on. */
export type HealthPolicy = Pick<UpstreamConfig, 'healthCheck' | 'outlierDetection' | 'circuitBreaker'>
