// The package entry (`import … from 'turnpike'`): createGateway to embed the gateway in a
// program, definePlugin and Type to write plugins for it, and the pieces underneath
// (loading and validating a config, the Gateway that runs one) for programs that need them.
export { createGateway, type CreateGatewayOptions, type EmbeddedGateway, type GatewayPorts } from './create-gateway.js'
export { definePlugin, Type, type PluginDefinition, type PluginRequestContext, type PluginScope, type Static, type TSchema } from './user-plugins/define.js'
export type { Identity, RequestContext } from './proxy/context.js'
export { ConfigError, formatProblem, loadConfigFile, parseConfigText, type ConfigProblem, type LoadedConfig } from './config/load.js'
export type { GatewayConfig, GatewayConfigInput, RouteConfig, UpstreamConfig, PluginConfig } from './config/schema.js'
export { Gateway, type ReloadResult } from './server.js'
export { createLogger } from './logger.js'
export { StartError } from './start-error.js'
