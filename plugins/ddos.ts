// TODO(issue 4): the ddos policy. Adds no hook until it is built.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'

async function ddosPolicy (_scope: FastifyInstance, _options: PolicyOptions): Promise<void> {}

export default fp(ddosPolicy, { name: 'turnpike-ddos', fastify: '5.x' })
