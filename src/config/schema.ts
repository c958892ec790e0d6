// The one source of truth for gateway.yaml: the TypeBox schema below gives the
// validator, the TypeScript types (StaticDecode: durations and sizes already numbers)
// and configs/gateway.schema.json. Nothing here is typed a second time elsewhere.
import { Type, type StaticDecode, type StaticEncode, type TLiteral, type TSchema } from '@sinclair/typebox'
import { DURATION_PATTERN, SIZE_PATTERN, formatDuration, formatSize, parseDuration, parseSize } from './units.js'

/** A duration string in the file, milliseconds in the running config. */
export const Duration = (options: { default?: string, description?: string } = {}) =>
  Type.Transform(Type.String({ pattern: DURATION_PATTERN, ...options }))
    .Decode(parseDuration)
    .Encode(formatDuration)

/** A size string in the file, bytes in the running config. */
export const Size = (options: { default?: string, description?: string } = {}) =>
  Type.Transform(Type.String({ pattern: SIZE_PATTERN, ...options }))
    .Decode(parseSize)
    .Encode(formatSize)

/** A union of string literals whose static type is the union of those strings. */
const Literals = <const T extends readonly [string, ...string[]]>(values: T, options: { default?: T[number], description?: string } = {}) =>
  Type.Union(values.map((v) => Type.Literal(v)) as unknown as { -readonly [K in keyof T]: TLiteral<T[K]> }, options)

const strict = { additionalProperties: false } as const
/** A closed object. `default: {}` makes a section present (its own defaults filled) when left out. */
const Obj = <T extends Record<string, TSchema>>(props: T, options: { default?: object, description?: string } = {}) =>
  Type.Object(props, { ...strict, ...options })

/** `200-399`, `200`, `200,204,300-399`: statuses 100-599. */
export const STATUS_RANGES_PATTERN = '^[1-5][0-9]{2}(-[1-5][0-9]{2})?(,[1-5][0-9]{2}(-[1-5][0-9]{2})?)*$'

const HttpUrl = Type.String({ pattern: '^https?://', description: 'http:// or https:// URL' })
const HeaderName = Type.String({ pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' })
// TRACE and CONNECT are never proxied (nginx refuses both): not offered here.
/** What `retry.on` may list: failures before any answer, and retryable statuses. */
const RetryOn = Type.Union([
  Type.Literal('connect-failure'), Type.Literal('timeout'), Type.Literal('reset'),
  Type.Literal(500), Type.Literal(502), Type.Literal(503), Type.Literal(504)
])

const Method = Literals(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
const JwtAlgorithm = Literals(['HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA'])

export const TimeoutsSchema = Obj({
  requestHeader: Duration({ default: '10s', description: 'time to receive the request headers (Slowloris protection)' }),
  keepAlive: Duration({ default: '72s', description: 'idle keep-alive connection timeout' }),
  request: Duration({ default: '0s', description: 'time to receive the whole request; 0 = off (streams, uploads)' }),
  shutdown: Duration({ default: '15s', description: 'drain budget on SIGTERM' })
}, { default: {} })

const CertificatePair = Obj({
  cert: Type.String({ description: 'PEM certificate (chain, leaf first); relative to the config file' }),
  key: Type.String({ description: 'PEM private key of that certificate (unencrypted)' })
})

export const ServerTlsSchema = Obj({
  cert: Type.Optional(Type.String({ description: 'shorthand for one certificate (PEM chain); with certificates, it comes first' })),
  key: Type.Optional(Type.String({ description: 'the private key of cert' })),
  certificates: Type.Optional(Type.Array(CertificatePair, {
    minItems: 1,
    description: 'chosen by SNI from each certificate\'s DNS names (SAN, else CN; `*.example.com` wildcards); the first is the default'
  })),
  minVersion: Literals(['TLSv1.2', 'TLSv1.3'], { default: 'TLSv1.2' }),
  clientCA: Type.Optional(Type.String({ description: 'PEM CA bundle that client certificates must chain to (mTLS)' })),
  requireClientCert: Type.Boolean({ default: false, description: 'refuse clients without a certificate signed by clientCA' })
}, { description: 'HTTPS on the data plane; certificate and key files are watched and swapped for new connections' })

export const UpstreamTlsSchema = Obj({
  ca: Type.Optional(Type.String({ description: 'PEM CA bundle the targets\' certificates must chain to (default: the system store)' })),
  cert: Type.Optional(Type.String({ description: 'client certificate sent to the targets (mTLS)' })),
  key: Type.Optional(Type.String({ description: 'the private key of cert' })),
  servername: Type.Optional(Type.String({ minLength: 1, description: 'SNI sent and the name verified (default: the target\'s host)' })),
  verify: Type.Boolean({ default: true, description: 'false accepts any certificate (never in production)' })
}, { description: 'TLS to https:// targets (traffic and health checks)' })

export const ServerSchema = Obj({
  host: Type.String({ default: '0.0.0.0' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  workers: Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('auto')], { default: 1 }),
  trustProxy: Type.Union([Type.Boolean(), Type.Integer({ minimum: 0 }), Type.Array(Type.String())], {
    default: false,
    description: 'which peers may set X-Forwarded-For: false | true | hop count | list of CIDRs'
  }),
  bodyLimit: Size({ default: '10mb' }),
  maxHeaderSize: Size({ default: '16kb', description: 'larger request headers get 431' }),
  maxHeaderCount: Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'more request headers get 431' }),
  timeouts: TimeoutsSchema,
  http2: Type.Boolean({ default: false, description: 'with tls: h2 and http/1.1 by ALPN on one port; without: h2c (prior knowledge) beside HTTP/1.1 on one port' }),
  tls: Type.Optional(ServerTlsSchema)
}, { default: {} })

export const AdminSchema = Obj({
  host: Type.String({ default: '127.0.0.1' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 9090 }),
  token: Type.String({ default: '', description: 'bearer token for mutating admin calls; empty disables them' }),
  readyRequiresHealthyTarget: Type.Boolean({
    default: false,
    description: 'when true, /readyz is 503 while any upstream has no target in rotation'
  })
}, { default: {} })

export const LoggingSchema = Obj({
  level: Literals(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { default: 'info' }),
  format: Type.Union([Type.Literal('json'), Type.Literal('pretty')], { default: 'json' }),
  accessLog: Type.Boolean({ default: true })
}, { default: {} })

export const RedisSchema = Obj({
  url: Type.String({
    default: '',
    pattern: '^($|rediss?://.+|cluster:.+|sentinels:[^@]+@.+)$',
    description: 'redis:// or rediss:// URL, `cluster:URL,URL,…` or `sentinels:MASTER@HOST:PORT,…`; empty = in-process state only'
  }),
  keyPrefix: Type.String({ default: 'turnpike:' }),
  timeout: Duration({
    default: '50ms',
    description: 'the most one request waits for all of its Redis calls together; past it the request is served from in-process state (rate limits, DDoS) or uncached (cache)'
  })
})

export const TracingSchema = Obj({
  enabled: Type.Boolean({ default: false }),
  endpoint: Type.String({ default: 'http://127.0.0.1:4318/v1/traces' }),
  sampleRatio: Type.Number({ minimum: 0, maximum: 1, default: 1 })
})

export const RateLimitSchema = Obj({
  max: Type.Integer({ minimum: 1, description: 'requests per window (token-bucket: tokens added per window)' }),
  window: Duration(),
  algorithm: Literals(['fixed-window', 'sliding-window', 'token-bucket'], { default: 'fixed-window' }),
  burst: Type.Optional(Type.Integer({ minimum: 1, description: 'token-bucket only: bucket size (default: max)' })),
  keyBy: Type.String({ pattern: '^(ip|apiKey|claim:.+|header:.+)$', default: 'ip', description: 'ip | apiKey | claim:NAME | header:NAME; a request without the key counts by its IP' })
})

const CorsSchema = Obj({
  origins: Type.Array(Type.String(), { description: 'allowed origins: exact, `*`, or `*.example.com`-style wildcards' }),
  credentials: Type.Boolean({ default: false }),
  methods: Type.Optional(Type.Array(Method)),
  allowedHeaders: Type.Optional(Type.Array(HeaderName)),
  exposedHeaders: Type.Optional(Type.Array(HeaderName)),
  maxAge: Type.Optional(Duration({ description: 'how long browsers may cache a preflight answer' }))
})

export const SecuritySchema = Obj({
  headers: Type.Optional(Type.Boolean()),
  cors: Type.Optional(CorsSchema),
  ipFilter: Type.Optional(Obj({
    allow: Type.Optional(Type.Array(Type.String())),
    deny: Type.Optional(Type.Array(Type.String())),
    exempt: Type.Optional(Type.Array(Type.String()))
  })),
  ddos: Type.Optional(Obj({ threshold: Type.Integer({ minimum: 1 }), window: Duration(), blockFor: Duration() })),
  connections: Type.Optional(Obj({
    perIp: Type.Optional(Type.Integer({ minimum: 1, description: 'open connections from one peer address; more get 429 and are closed' })),
    total: Type.Optional(Type.Integer({ minimum: 1, description: 'open connections to the whole gateway; more get 503 and are closed' }))
  }, { description: 'caps on open client connections, counted from accept to close' })),
  rateLimit: Type.Optional(RateLimitSchema)
})

export const AuthSchema = Obj({
  jwt: Type.Optional(Obj({
    algorithms: Type.Optional(Type.Array(JwtAlgorithm, { minItems: 1, uniqueItems: true, description: 'default: HS256 with a secret; RS256, ES256, EdDSA with a public key or JWKS' })),
    secret: Type.Optional(Type.String({ description: 'HMAC secret (HS256/384/512)' })),
    publicKey: Type.Optional(Type.String({ description: 'PEM public key (RS256, ES256, EdDSA)' })),
    jwksUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'JWKS endpoint; fetched once, cached, refreshed on an unknown kid' })),
    issuer: Type.Optional(Type.String()),
    audience: Type.Optional(Type.String()),
    clockSkew: Duration({ default: '30s', description: 'leeway for exp and nbf' })
  })),
  apiKeys: Type.Optional(Obj({
    header: Type.String({ default: 'x-api-key' }),
    keys: Type.Array(Obj({ id: Type.String({ minLength: 1 }), sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'turnpike hash-key KEY' }) }))
  })),
  identityHeader: Type.Optional(Type.String({
    pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$',
    description: 'send the caller\'s identity (JWT sub or API key id) upstream in this header; a client-sent one is always removed'
  }))
})

export const TargetSchema = Obj({
  url: HttpUrl,
  weight: Type.Integer({ minimum: 1, maximum: 1000, default: 1 })
})

/** A DNS name: labels of letters, digits, '-' and '_' (SRV names start with `_service._proto.`). */
const DnsName = Type.String({ pattern: '^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\\.?$' })

export const DiscoverySchema = Obj({
  dns: Type.Optional(Type.String({ ...DnsName, description: 'resolve this name (A and AAAA): every address is a target on `port`' })),
  srv: Type.Optional(Type.String({ ...DnsName, description: 'SRV records of this name give the targets, ports and weights' })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'the targets\' port (dns only)' })),
  resolver: Type.Optional(Type.String({ pattern: '^([0-9.]+|\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f:]+)(:[0-9]{1,5})?$', description: 'IP[:PORT] of the DNS server to ask (an IPv6 address with a port in brackets: [::1]:53); default: the system\'s' })),
  refresh: Duration({ default: '10s', description: 'time between lookups; a failed or empty one keeps the last good answer' })
}, { description: 'targets from DNS instead of `targets`' })

export const LimitsSchema = Obj({
  maxConnections: Type.Integer({ minimum: 1, description: 'requests in flight to one target (one connection each)' }),
  maxPending: Type.Integer({ minimum: 0, default: 0, description: 'requests that may wait for a free connection to one target' }),
  pendingTimeout: Duration({ default: '1s', description: 'the longest a request waits; then 503 TURNPIKE_UPSTREAM_OVERLOADED' })
}, { description: 'per target; over them requests queue, then get 503 with Retry-After' })

export const UpstreamSchema = Obj({
  targets: Type.Optional(Type.Array(TargetSchema, { minItems: 1 })),
  discovery: Type.Optional(DiscoverySchema),
  limits: Type.Optional(LimitsSchema),
  balancer: Literals(['round-robin', 'weighted-round-robin', 'least-connections', 'ip-hash', 'consistent-hash', 'random', 'p2c-ewma'], { default: 'round-robin' }),
  hashOn: Type.Optional(Type.String({ pattern: '^(ip|header:.+|cookie:.+|claim:.+)$' })),
  healthCheck: Type.Optional(Obj({
    type: Literals(['http', 'tcp', 'grpc'], { default: 'http', description: 'http: GET path and check the status; tcp: connect only; grpc: grpc.health.v1.Health/Check (service from path, / for the server) is SERVING' }),
    path: Type.String({ pattern: '^/', default: '/health' }),
    interval: Duration({ default: '5s', description: 'pause between the end of one check and the start of the next' }),
    timeout: Duration({ default: '2s' }),
    healthyThreshold: Type.Integer({ minimum: 1, default: 2, description: 'consecutive passes that bring an unhealthy target back' }),
    unhealthyThreshold: Type.Integer({ minimum: 1, default: 3, description: 'consecutive failures that take a target out' }),
    expectStatus: Type.String({ pattern: STATUS_RANGES_PATTERN, default: '200-399', description: 'a status or range, or a comma list of them: 200-399, 200,204' })
  })),
  outlierDetection: Type.Optional(Obj({
    errorRate: Type.Number({ minimum: 0, maximum: 1, description: 'share of failed attempts (5xx or no response) that ejects a target' }),
    minRequests: Type.Integer({ minimum: 1, description: 'attempts in the window before the rate counts' }),
    window: Duration(),
    ejectFor: Duration()
  })),
  circuitBreaker: Type.Optional(Obj({
    errorThresholdPercentage: Type.Number({ minimum: 1, maximum: 100, default: 50, description: 'opens when the failure rate in the rolling window is above this' }),
    volumeThreshold: Type.Integer({ minimum: 1, default: 20, description: 'attempts in the window before it may open' }),
    resetTimeout: Duration({ default: '30s', description: 'open → half-open (one probe)' })
  }, { description: 'one opossum breaker per target; 5xx and no answer are failures, 4xx never' })),
  protocol: Literals(['http1', 'h2', 'h2c'], { default: 'http1', description: 'http1; h2: HTTP/2 over TLS (https:// targets, ALPN); h2c: HTTP/2 in cleartext with prior knowledge (http:// targets); gRPC needs h2 or h2c' }),
  tls: Type.Optional(UpstreamTlsSchema),
  onNoHealthyTarget: Type.Union([Type.Literal('fail'), Type.Literal('any')], { default: 'fail' }),
  pool: Obj({
    connections: Type.Integer({ minimum: 1, default: 128 }),
    keepAlive: Duration({ default: '60s' }),
    connectTimeout: Duration({ default: '5s' })
  }, { default: {} })
})

const HeaderEdits = Obj({
  set: Type.Optional(Type.Record(Type.String(), Type.String())),
  remove: Type.Optional(Type.Array(HeaderName))
})

export const RouteSchema = Obj({
  name: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', description: 'unique; the metrics label' }),
  match: Obj({
    path: Type.String({ pattern: '^/', description: 'prefix on segment boundaries; /x/:id params; /x/* wildcard' }),
    exact: Type.Boolean({ default: false }),
    methods: Type.Optional(Type.Array(Method, { minItems: 1 })),
    host: Type.Optional(Type.String({ pattern: '^(\\*\\.)?[A-Za-z0-9.-]+(:\\d+)?$' })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String()))
  }),
  upstream: Type.Optional(Type.String()),
  split: Type.Optional(Type.Array(Obj({
    upstream: Type.String(),
    weight: Type.Integer({ minimum: 0, maximum: 1000 })
  }), { minItems: 1, description: 'instead of upstream: each request to one of these upstreams, by weight' })),
  stickyBy: Type.Optional(Type.String({ pattern: '^(ip|header:.+|cookie:.+|claim:.+)$', description: 'split only: the same key always reaches the same upstream while the weights stay' })),
  mirror: Type.Optional(Obj({
    upstream: Type.String(),
    percent: Type.Number({ minimum: 0, maximum: 100, default: 100 }),
    maxInFlight: Type.Integer({ minimum: 1, default: 64, description: 'copies waiting for an answer at once; past it copies are skipped' })
  }, { description: 'a copy of the request (body up to 64 KiB) to another upstream; its answer is dropped' })),
  stripPrefix: Type.Boolean({ default: false }),
  rewrite: Type.Optional(Type.String({ pattern: '^/', description: 'replaces the matched prefix' })),
  preserveHost: Type.Boolean({ default: false }),
  timeout: Duration({ default: '30s', description: 'upstream response-header timeout' }),
  retry: Type.Optional(Obj({
    attempts: Type.Integer({ minimum: 0, maximum: 10, description: 'extra attempts after the first' }),
    backoff: Duration({ default: '100ms', description: 'base of the exponential backoff (full jitter)' }),
    maxBackoff: Duration({ default: '2s' }),
    on: Type.Array(RetryOn, { default: ['connect-failure', 502, 503, 504], uniqueItems: true })
  })),
  auth: Literals(['none', 'jwt', 'apiKey', 'any'], { default: 'none' }),
  rateLimit: Type.Optional(Type.Union([RateLimitSchema, Type.Literal(false)], { description: 'a limit for this route; false: none, even with security.rateLimit' })),
  cache: Type.Optional(Obj({
    ttl: Duration({ description: 'freshness when the upstream gives no max-age' }),
    maxBodySize: Size({ default: '1mb', description: 'larger responses are passed through uncached' }),
    authenticated: Type.Boolean({ default: false, description: 'also cache answers to authenticated requests (shared by every caller)' })
  })),
  compress: Type.Boolean({ default: false, description: 'br/gzip by Accept-Encoding above 1 KiB' }),
  cors: Type.Optional(Type.Union([CorsSchema, Type.Literal(false)], { description: 'this route\'s CORS policy instead of security.cors; false: none' })),
  websocket: Type.Boolean({ default: false }),
  allowOverrideHeaders: Type.Array(Literals(['X-Original-URL', 'X-Rewrite-URL', 'X-HTTP-Method-Override', 'X-Method-Override']), {
    default: [],
    uniqueItems: true,
    description: 'URL and method override headers this route forwards; all others are removed, since a backend that honours them would serve a path or method the gateway never authorized'
  }),
  headers: Type.Optional(Obj({ request: Type.Optional(HeaderEdits), response: Type.Optional(HeaderEdits) })),
  plugins: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), {
    uniqueItems: true,
    description: 'user plugins (names from the top-level `plugins`), registered in this order after the built-in policies'
  }))
})

export const PluginSchema = Obj({
  name: Type.String({ pattern: '^[A-Za-z0-9_.-]+$', description: 'what routes list in their `plugins`; the plugin label in logs and metrics' }),
  module: Type.String({ minLength: 1, description: 'a path relative to this file (./plugins/tenant.js) or an installed package name' }),
  options: Type.Optional(Type.Unknown({ description: 'checked against the plugin\'s own options schema when the config loads' }))
})

export const GatewayConfigSchema = Type.Object({
  server: ServerSchema,
  admin: AdminSchema,
  logging: LoggingSchema,
  redis: Type.Optional(RedisSchema),
  tracing: Type.Optional(TracingSchema),
  security: Type.Optional(SecuritySchema),
  auth: Type.Optional(AuthSchema),
  // additionalProperties: without it a key outside the name pattern is not validated at all.
  upstreams: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_.-]+$' }), UpstreamSchema, { default: {}, additionalProperties: false }),
  plugins: Type.Optional(Type.Array(PluginSchema, { description: 'user plugins: each module is loaded once per config generation' })),
  routes: Type.Array(RouteSchema, { default: [] })
}, { ...strict, $id: 'https://turnpike.dev/gateway.schema.json', title: 'Turnpike gateway.yaml' })

/** The config as written in the file (durations and sizes as strings). */
export type GatewayConfigInput = StaticEncode<typeof GatewayConfigSchema>
/** The running config: defaults applied, durations in ms, sizes in bytes. */
export type GatewayConfig = StaticDecode<typeof GatewayConfigSchema>
export type RouteConfig = StaticDecode<typeof RouteSchema>
export type UpstreamConfig = StaticDecode<typeof UpstreamSchema>
export type TargetConfig = StaticDecode<typeof TargetSchema>
export type DiscoveryConfig = StaticDecode<typeof DiscoverySchema>
export type LimitsConfig = StaticDecode<typeof LimitsSchema>
export type ServerConfig = StaticDecode<typeof ServerSchema>
export type ServerTlsConfig = StaticDecode<typeof ServerTlsSchema>
export type UpstreamTlsConfig = StaticDecode<typeof UpstreamTlsSchema>
export type TimeoutsConfig = StaticDecode<typeof TimeoutsSchema>
export type AdminConfig = StaticDecode<typeof AdminSchema>
export type LoggingConfig = StaticDecode<typeof LoggingSchema>
export type RateLimitConfig = StaticDecode<typeof RateLimitSchema>
export type CorsConfig = StaticDecode<typeof CorsSchema>
export type SecurityConfig = StaticDecode<typeof SecuritySchema>
export type AuthConfig = StaticDecode<typeof AuthSchema>
export type RedisConfig = StaticDecode<typeof RedisSchema>
export type PluginConfig = StaticDecode<typeof PluginSchema>
