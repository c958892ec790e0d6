// TODO(issue 4): the rate-limit policy. Adds no hook until it is built.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'

async function rateLimitPolicy (_scope: FastifyInstance, _options: PolicyOptions): Promise<void> {}

export default fp(rateLimitPolicy, { name: 'turnpike-rate-limit', fastify: '5.x' })
