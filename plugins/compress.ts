// TODO(issue 4): the compress policy. Adds no hook until it is built.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'

async function compressPolicy (_scope: FastifyInstance, _options: PolicyOptions): Promise<void> {}

export default fp(compressPolicy, { name: 'turnpike-compress', fastify: '5.x' })
