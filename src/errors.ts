// Every error Turnpike answers a client with, in one place (as fastify's lib/errors.js):
// the code, the status and the message template. test/errors.test.ts locks the codes and
// statuses, read from these classes, since clients and dashboards match on them, and
// fails on one that nothing throws. src/error-body.ts renders them, in one shape.
import createError from '@fastify/error'

export const BadPathError = createError('TURNPIKE_BAD_PATH', 'Malformed or non-normalizable path: %s', 400)
export const BadRequestError = createError('TURNPIKE_BAD_REQUEST', '%s', 400)
export const NoRouteError = createError('TURNPIKE_NO_ROUTE', 'No route for %s %s', 404)
export const RequestTimeoutError = createError('TURNPIKE_REQUEST_TIMEOUT', '%s', 408)
export const MethodNotAllowedError = createError('TURNPIKE_METHOD_NOT_ALLOWED', 'Method %s is not allowed on this path', 405)
export const BodyTooLargeError = createError('TURNPIKE_BODY_TOO_LARGE', 'Request body is larger than %s bytes', 413)
export const HeadersTooLargeError = createError('TURNPIKE_HEADERS_TOO_LARGE', '%s', 431)
export const UriTooLongError = createError('TURNPIKE_URI_TOO_LONG', '%s', 414)
export const VersionNotSupportedError = createError('TURNPIKE_HTTP_VERSION_NOT_SUPPORTED', '%s', 505)
export const UpgradeRequiredError = createError('TURNPIKE_UPGRADE_REQUIRED', '%s', 426)
export const BadGatewayError = createError('TURNPIKE_BAD_GATEWAY', 'Upstream %s failed: %s', 502)
export const NoHealthyTargetError = createError('TURNPIKE_NO_HEALTHY_TARGET', 'No healthy target in upstream %s', 503)
export const CircuitOpenError = createError('TURNPIKE_CIRCUIT_OPEN', 'Every circuit breaker of upstream %s is open', 503)
export const UpstreamOverloadedError = createError('TURNPIKE_UPSTREAM_OVERLOADED', 'Every target of upstream %s is at its connection limit', 503)
export const GatewayTimeoutError = createError('TURNPIKE_GATEWAY_TIMEOUT', 'Upstream %s did not answer within %sms', 504)
export const AdminForbiddenError = createError('TURNPIKE_ADMIN_FORBIDDEN', '%s', 403)
export const AdminUnauthorizedError = createError('TURNPIKE_ADMIN_UNAUTHORIZED', 'A valid admin bearer token is required', 401)
export const AdminUnknownListError = createError('TURNPIKE_ADMIN_UNKNOWN_LIST', "No IP list '%s': use allow, deny or exempt", 404)
export const AdminBadCidrError = createError('TURNPIKE_ADMIN_BAD_CIDR', "'%s' is not an IP address or CIDR range (send a CIDR's '/' as %%2F)", 400)
export const IpDeniedError = createError('TURNPIKE_IP_DENIED', 'Requests from this address are not allowed', 403)
export const DdosBlockedError = createError('TURNPIKE_DDOS_BLOCKED', 'Too many requests from this address: blocked for %s s', 429)
export const RateLimitedError = createError('TURNPIKE_RATE_LIMITED', 'Rate limit exceeded: retry in %s s', 429)
export const UnauthorizedError = createError('TURNPIKE_UNAUTHORIZED', '%s', 401)
export const TooManyConnectionsError = createError('TURNPIKE_TOO_MANY_CONNECTIONS', 'Too many open connections from this address', 429)
export const GatewayFullError = createError('TURNPIKE_GATEWAY_FULL', 'The gateway has too many open connections', 503)
export const PluginError = createError('TURNPIKE_PLUGIN_ERROR', 'Plugin %s failed', 500)
/** An exception of the gateway's own: the client learns nothing more than this. */
export const InternalError = createError('TURNPIKE_INTERNAL', 'Internal Server Error', 500)
