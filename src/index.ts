// The package entry (`import … from 'turnpike'`): loading and validating a config, and
// the Gateway that runs one. A fuller library API (createGateway) is yet to come; until
// then these are the stable pieces a program embedding Turnpike needs.
export { ConfigError, formatProblem, loadConfigFile, parseConfigText, type ConfigProblem, type LoadedConfig } from './config/load.js'
export type { GatewayConfig, GatewayConfigInput, RouteConfig, UpstreamConfig } from './config/schema.js'
export { Gateway, type ReloadResult } from './server.js'
export { createLogger } from './logger.js'
export { StartError } from './start-error.js'
