// Cross-checks of user plugins that need no plugin code: unique names at the top level,
// and every name a route lists defined there. Loading the modules and checking their
// options is a later, asynchronous stage (src/user-plugins/check.ts).
import type { Issue } from './problem.js'
import { isObject, itemsOf } from './guards.js'
import { closestName } from './closest-name.js'

export function pluginIssues (config: Record<string, unknown>): Issue[] {
  const issues: Issue[] = []
  const defined: string[] = []
  itemsOf(config.plugins).forEach((plugin, i) => {
    if (!isObject(plugin) || typeof plugin.name !== 'string') return
    const first = defined.indexOf(plugin.name)
    if (first === -1) defined.push(plugin.name)
    else issues.push({ path: ['plugins', i, 'name'], message: `duplicate plugin name '${plugin.name}' (also plugins.${first})` })
  })
  itemsOf(config.routes).forEach((route, i) => {
    if (!isObject(route)) return
    itemsOf(route.plugins).forEach((name, j) => {
      if (typeof name !== 'string' || defined.includes(name)) return
      const near = closestName(name, defined)
      const known = defined.length === 0 ? 'no plugins are defined under the top-level `plugins`' : `defined: ${defined.join(', ')}`
      issues.push({ path: ['routes', i, 'plugins', j], message: `unknown plugin '${name}' (${near === undefined ? known : `did you mean '${near}'?`})` })
    })
  })
  return issues
}
