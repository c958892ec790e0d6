// The most recent config reloads, newest first, as the Gateway's 'reload' events
// report them: the dashboard shows what changed lately and whether it took.
import type { ReloadStats } from './types.js'

const KEEP = 20

interface ReloadEvent {
  readonly result: 'success' | 'failure' | 'unchanged'
  readonly at: string
  readonly generation: number
  readonly error?: string
}

export class ReloadLog {
  private readonly entries: ReloadStats[] = []

  add (event: ReloadEvent): void {
    if (event.result === 'unchanged') return
    const entry: ReloadStats = { at: event.at, result: event.result, generation: event.generation }
    this.entries.unshift(event.error === undefined ? entry : { ...entry, error: event.error })
    if (this.entries.length > KEEP) this.entries.length = KEEP
  }

  /** Newest first, at most 20. */
  recent (): readonly ReloadStats[] {
    return [...this.entries]
  }
}
