// A route scope as a plugin sees it: the same Fastify instance, except that every
// request hook it adds is wrapped so that a throw, a rejected promise or an error passed
// to `done` is turned into the plugin's own error (counted, logged with the plugin's
// name, answered 500 TURNPIKE_PLUGIN_ERROR). Fastify has no public way to attribute an
// error to the plugin whose hook raised it, hence the wrapper; a Proxy, so everything
// else a plugin does on the scope (decorators, routes, sub-plugins) goes to Fastify as is.
// Hooks added by a sub-plugin registered with fastify-plugin reach the scope without the
// wrapper: their errors are the gateway's generic 500.
import type { FastifyInstance, FastifyRequest } from 'fastify'

/** Turns what a hook raised into the error the request is answered with. */
export type HookFailure = (request: FastifyRequest, err: unknown) => Error

type Callback = (err?: unknown, value?: unknown) => void
type AnyHook = (this: unknown, ...args: unknown[]) => unknown

/** Request hooks and the position of their `done` callback (Fastify's signatures). */
const DONE_AT: Readonly<Record<string, number>> = {
  onRequest: 2,
  preValidation: 2,
  preHandler: 2,
  onResponse: 2,
  onTimeout: 2,
  preParsing: 3,
  preSerialization: 3,
  onSend: 3,
  onError: 3,
  onRequestAbort: 1
}

export function guardedScope (scope: FastifyInstance, fail: HookFailure): FastifyInstance {
  const addHook = scope.addHook as (this: unknown, name: string, fn: unknown) => unknown
  function guardedAddHook (this: unknown, name: string, fn: unknown): unknown {
    const doneAt = DONE_AT[name]
    // An async hook with a `done` parameter is a mistake Fastify itself reports: let it.
    const misdeclared = typeof fn === 'function' && fn.constructor.name === 'AsyncFunction' && fn.length > (doneAt ?? 0)
    if (doneAt === undefined || typeof fn !== 'function' || misdeclared) return addHook.call(this, name, fn)
    return addHook.call(this, name, guard(fn as AnyHook, doneAt, fail))
  }
  return new Proxy(scope, {
    get: (target, key, receiver) => key === 'addHook' ? guardedAddHook : Reflect.get(target, key, receiver) as unknown
  })
}

function guard (fn: AnyHook, doneAt: number, fail: HookFailure): AnyHook {
  // An async hook never calls `done`: no wrapper for it, no closure per request.
  const usesDone = fn.constructor.name !== 'AsyncFunction'
  if (usesDone && doneAt === 2) return guardCallback(fn, fail)
  const rethrow = (request: FastifyRequest) => (err: unknown): never => { throw fail(request, err) }
  return function guarded (this: unknown, ...args: unknown[]): unknown {
    const request = args[0] as FastifyRequest
    if (usesDone) {
      const done = args[doneAt] as Callback
      args[doneAt] = (err?: unknown, value?: unknown) => { if (err != null) done(fail(request, err)); else done(err, value) }
    }
    let result: unknown
    try {
      result = fn.apply(this, args)
    } catch (err) {
      throw fail(request, err)
    }
    return isThenable(result) ? result.then(undefined, rethrow(request)) : result
  }
}

/** The common case, `(request, reply, done)` with a callback, without a rest array per call. */
function guardCallback (fn: AnyHook, fail: HookFailure): AnyHook {
  return function guarded (this: unknown, request: unknown, reply: unknown, done: unknown): unknown {
    const req = request as FastifyRequest
    const next = done as Callback
    let result: unknown
    try {
      result = fn.call(this, request, reply, (err?: unknown, value?: unknown) => { if (err != null) next(fail(req, err)); else next(err, value) })
    } catch (err) {
      throw fail(req, err)
    }
    return isThenable(result) ? result.then(undefined, (err: unknown) => { throw fail(req, err) }) : result
  }
}

function isThenable (value: unknown): value is Promise<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as Promise<unknown>).then === 'function'
}
