// What the primary and its workers say to each other over the IPC seam (ipc.ts), by kind.
import type { GatewayConfig } from '../config/schema.js'
import type { Change } from '../ip-rules/lists.js'
import type { WindowCounts } from '../stats/collector.js'
import type { UpstreamsView } from '../stats/snapshot.js'
import type { GatewayStats } from '../stats/types.js'
import type { Verdict } from './primary-health.js'

/** A validated config as it travels: the primary loads and validates once. */
export interface ConfigMessage {
  readonly file: string
  readonly text: string
  readonly config: GatewayConfig
}

/** primary → worker, the answer to `worker:hello`: everything a worker needs to start. */
export interface Hello {
  /** The running generation's id: the worker's first generation has it too. */
  readonly generation: number
  readonly loaded: ConfigMessage
  readonly verdicts: readonly Verdict[]
  readonly ipRules: ReadonlyArray<[string, Change]>
}

/** worker → primary, `worker:ready`: the listener is bound. */
export interface Ready {
  readonly listen: { address: string, port: number, family: string }
  readonly generation: number
  readonly digest: string
}

/** worker → primary, the answer to `worker:stats`. */
export interface WorkerStats {
  readonly stats: GatewayStats
  readonly counts: { spanSeconds: number, routes: Record<string, WindowCounts> }
}

export type WorkerBackends = UpstreamsView

export const KIND = {
  hello: 'worker:hello',
  ready: 'worker:ready',
  stats: 'worker:stats',
  backends: 'worker:backends',
  metrics: 'worker:metrics',
  /** primary → worker, before drain: close the listener (the shared port), drain nothing yet. */
  stopAccepting: 'worker:stop-accepting',
  drain: 'worker:drain',
  prepare: 'reload:prepare',
  commit: 'reload:commit',
  discard: 'reload:discard',
  health: 'health:verdict',
  ipRules: 'ip-rules:replace',
  define: 'shared:define',
  batch: 'shared:batch',
  /** primary → worker: give back the unused blocks of these keys (rate limits). */
  recall: 'shared:recall',
  /** worker → primary: unused units of blocks (rate limits). */
  giveBack: 'shared:give-back',
  connectionsAdmit: 'connections:admit',
  connectionsRelease: 'connections:release',
  /** worker → primary: a block of places given back, and the worker no longer holds one for that address. */
  connectionsReturn: 'connections:return',
  /** primary → worker: give back the blocks of these addresses (null: of every address). */
  connectionsRecall: 'connections:recall'
} as const
