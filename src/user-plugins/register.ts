// The route extension that puts user plugins into a route's own scope: the ones the
// route lists, in its order, after the built-in policies (the scope already holds them).
// Each plugin gets the scope through guardedScope, so a hook that throws answers 500
// TURNPIKE_PLUGIN_ERROR for that request only, counted and logged with the plugin's name.
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { PluginError } from '../errors.js'
import { clientIpOf } from '../proxy/context.js'
import type { RouteExtensions } from '../routing/route-extensions.js'
import { guardedScope, type HookFailure } from './hook-guard.js'
import type { LoadedPlugin, LoadedPlugins } from './load.js'

/** A register that threw: the config generation is not built (a start exits 1, a reload keeps the running one). */
export class PluginRegisterError extends Error {
  constructor (plugin: LoadedPlugin, route: string, cause: unknown) {
    super(`plugin '${plugin.name}' (${plugin.module}) failed to register on route '${route}': ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'PluginRegisterError'
  }
}

/** Counts one failed hook (turnpike_plugin_errors_total{plugin,route}). */
export type CountPluginError = (plugin: string, route: string) => void

export function userPluginExtension (plugins: LoadedPlugins, countError: CountPluginError): RouteExtensions {
  return async (scope, route) => {
    const names = route.config.plugins ?? []
    if (names.length === 0) return
    // The client address is worked out lazily elsewhere; a plugin reads it as a field.
    scope.addHook('onRequest', fillClientIp)
    for (const name of names) {
      const plugin = plugins.get(name)
      // The config's cross-checks refuse a route naming a plugin that is not defined.
      if (plugin === undefined) throw new Error(`route '${route.name}' lists plugin '${name}', which is not loaded`)
      try {
        await plugin.definition.register(guardedScope(scope, failure(plugin.name, route.name, countError)), plugin.options)
      } catch (err) {
        throw new PluginRegisterError(plugin, route.name, err)
      }
    }
  }
}

function fillClientIp (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  clientIpOf(request)
  done()
}

function failure (plugin: string, route: string, countError: CountPluginError): HookFailure {
  return (request, err) => {
    countError(plugin, route)
    request.log.error({ err, plugin, route, reqId: request.id }, 'plugin hook failed')
    return new PluginError(plugin)
  }
}
