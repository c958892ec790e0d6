// TODO(issue 4): the cors policy. Adds no hook until it is built.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'

async function corsPolicy (_scope: FastifyInstance, _options: PolicyOptions): Promise<void> {}

export default fp(corsPolicy, { name: 'turnpike-cors', fastify: '5.x' })
