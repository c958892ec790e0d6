// Watches the config file for edits. We watch its directory, not the file: editors
// save by rename, and Kubernetes swaps a ConfigMap by re-pointing the `..data`
// symlink, neither of which a watch on the old inode would see. Any event in the
// directory triggers a (debounced) check; the reloader compares file contents, so
// events that changed nothing cost one read.
import path from 'node:path'
import { watch, type FSWatcher } from 'chokidar'

export interface ConfigWatcher {
  close (): Promise<void>
}

export function watchConfig (file: string, onChange: () => void, debounceMs = 150): ConfigWatcher {
  const dir = path.dirname(path.resolve(file))
  let timer: NodeJS.Timeout | undefined
  const fire = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(onChange, debounceMs)
    timer.unref()
  }
  const watcher: FSWatcher = watch(dir, {
    depth: 1,
    ignoreInitial: true,
    followSymlinks: false,
    atomic: false,
    // ConfigMap updates land as new timestamped dirs; polling is not needed on Linux.
    usePolling: false
  })
  watcher.on('all', fire)
  watcher.on('error', () => { /* a vanished dir is reported by the next reload attempt */ })
  return {
    async close () {
      if (timer !== undefined) clearTimeout(timer)
      await watcher.close()
    }
  }
}
