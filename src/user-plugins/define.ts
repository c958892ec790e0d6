// The plugin API a user writes against: `definePlugin` only gives a plugin object its
// types (a module whose default export is `{ name, options?, register }` is a plugin
// with or without it), and `Type` is TypeBox, for an options schema that is both the
// JSON Schema checked at config load and the static type of `options` in `register`.
import type { Static, TSchema } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import type { Identity } from '../proxy/context.js'

export { Type, type Static, type TSchema } from '@sinclair/typebox'

/**
 * What a plugin reads and writes on `request.turnpike` (the gateway keeps more there;
 * only these fields are the plugin contract).
 */
export interface PluginRequestContext {
  /**
   * The normalized path the route matched (no query). `request.url` is the gateway's
   * internal route path; `request.originalUrl` is the request target as the client sent it.
   */
  readonly path: string
  /** The query string with its `?` ('' when there is none), as the client sent it. */
  readonly query: string
  /** The route that matched: its `name` is the one in the config and in metrics. */
  readonly route: { readonly name: string } | null
  /** The client address as `server.trustProxy` lets the gateway see it. */
  readonly clientIp: string | null
  /** Who auth proved the caller to be (set by auth's onRequest hook; null on public routes). */
  readonly identity: Identity | null
  /** The verified JWT's claims; null without a JWT. */
  readonly claims: Readonly<Record<string, unknown>> | null
  /** The upstream the request goes to; on a split route null until the handler chooses. */
  readonly upstream: { readonly name: string } | null
  /** Headers set on the request sent upstream (after the route's own header edits). */
  readonly upstreamHeaders: Map<string, string>
  /** Headers set on the response sent to the client. */
  readonly downstreamHeaders: Map<string, string>
}

/** The route's own encapsulated Fastify scope: hooks added here run for that route only. */
export type PluginScope = FastifyInstance

export interface PluginDefinition<S extends TSchema = TSchema> {
  /** The module's own name (Fastify's plugin name); the config's `plugins[].name` labels logs and metrics. */
  readonly name: string
  /** A JSON Schema (TypeBox, or any other) for `options`; without it options are not checked. */
  readonly options?: S
  /** Called once per route that lists the plugin, in that route's scope, each config generation. */
  register (route: PluginScope, options: Static<S>): void | Promise<void>
}

/** Types a plugin; returns it unchanged. */
export function definePlugin<S extends TSchema> (plugin: PluginDefinition<S>): PluginDefinition<S> {
  return plugin
}
