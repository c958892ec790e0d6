// TODO(issue 4): the security-headers policy. Adds no hook until it is built.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'

async function securityHeadersPolicy (_scope: FastifyInstance, _options: PolicyOptions): Promise<void> {}

export default fp(securityHeadersPolicy, { name: 'turnpike-security-headers', fastify: '5.x' })
