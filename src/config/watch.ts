// Watches the config file for edits. We watch its directory, not the file: editors
// save by rename, and Kubernetes swaps a ConfigMap by re-pointing the `..data`
// symlink, neither of which a watch on the old inode would see. Only two names in
// that directory matter: the config file itself and `..data`. Everything else (an
// access log written beside the config, editor swap files) is ignored, so a busy
// neighbour never triggers a reload.
//
// Events are debounced (an editor's save is several events), but a debounce alone can
// be starved by a stream of writes; `maxWaitMs` bounds how long the first event of a
// burst may wait for its check.
import path from 'node:path'
import { watch, type FSWatcher } from 'chokidar'

export interface ConfigWatcher {
  /** Resolves once the watch is in place: edits from then on are seen. */
  readonly ready: Promise<void>
  close (): Promise<void>
}

export interface WatchTiming {
  /** Quiet time after the last event before a check. */
  readonly debounceMs: number
  /** The longest a check waits after the first event of a burst. */
  readonly maxWaitMs: number
}

const DEFAULT_TIMING: WatchTiming = { debounceMs: 150, maxWaitMs: 1000 }

/** The kubelet's atomically swapped symlink to the current ConfigMap contents. */
const CONFIGMAP_DATA = '..data'

export function watchConfig (file: string, onChange: () => void, timing: WatchTiming = DEFAULT_TIMING): ConfigWatcher {
  const resolved = path.resolve(file)
  const dir = path.dirname(resolved)
  const watched = new Set([resolved, path.join(dir, CONFIGMAP_DATA)])
  let timer: NodeJS.Timeout | undefined
  let burstStart = 0
  const check = (): void => {
    timer = undefined
    onChange()
  }
  const fire = (): void => {
    const now = Date.now()
    if (timer === undefined) burstStart = now
    else clearTimeout(timer)
    const wait = Math.max(0, Math.min(timing.debounceMs, burstStart + timing.maxWaitMs - now))
    timer = setTimeout(check, wait)
    timer.unref()
  }
  const watcher: FSWatcher = watch(dir, {
    depth: 0,
    ignoreInitial: true,
    followSymlinks: false,
    atomic: false,
    // chokidar joins each event's name to `dir`, which is absolute: no path.resolve here,
    // since this runs for every write to any file in the directory.
    ignored: (p: string) => p !== dir && !watched.has(p),
    // ConfigMap updates land as new timestamped dirs; polling is not needed on Linux.
    usePolling: false
  })
  watcher.on('all', fire)
  watcher.on('error', () => { /* a vanished dir is reported by the next reload attempt */ })
  const ready = new Promise<void>((resolve) => { watcher.once('ready', () => { resolve() }) })
  return {
    ready,
    async close () {
      if (timer !== undefined) clearTimeout(timer)
      await watcher.close()
    }
  }
}
