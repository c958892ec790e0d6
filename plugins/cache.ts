// TODO(issue 4): the cache policy. Adds no hook until it is built.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'

async function cachePolicy (_scope: FastifyInstance, _options: PolicyOptions): Promise<void> {}

export default fp(cachePolicy, { name: 'turnpike-cache', fastify: '5.x' })
