// TODO(issue 4): the auth policy. Adds no hook until it is built.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'

async function authPolicy (_scope: FastifyInstance, _options: PolicyOptions): Promise<void> {}

export default fp(authPolicy, { name: 'turnpike-auth', fastify: '5.x' })
