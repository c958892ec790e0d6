// The seam that makes a new benchmark variant one more list entry (see ./index.ts).
import type { ProcessRegistry } from '../procs.js'

/** Where a target lives while it runs. */
export interface Running {
  /** The URL the load generator hits. */
  url: string
  /** The process serving it, for CPU time per request (undefined: not measured). */
  pid?: number
  /** Request headers every load request carries (a JWT, say). */
  headers?: Record<string, string>
  stop(): Promise<void>
}

export interface BenchContext {
  root: string
  /** A private temporary directory for generated configs, pid files, logs. */
  tmpDir: string
  /** The shared backend every target proxies to (or, for `direct`, is). */
  backendUrl: string
  /** Starts one more backend, pinned like the first, e.g. for a multi-target upstream. */
  startBackend(): Promise<Running>
  procs: ProcessRegistry
  /** CPU for the proxy under test; the backend and the load generator share the other. */
  proxyCpu: number
}

export interface Target {
  name: string
  /** One line for the report and the docs. */
  about: string
  /** Gateway variants: reported as ratios against the reference proxies. */
  compare?: boolean
  /** A policy variant is also reported as a ratio against this target (the plain route). */
  relativeTo?: string
  /** A reason to skip this target on this machine, or null when it can run. */
  unavailable(ctx: { root: string }): string | null
  start(ctx: BenchContext): Promise<Running>
}

/** The reference proxies the `compare` targets are measured against. */
export const REFERENCES = ['floor', 'bare', 'nginx']
