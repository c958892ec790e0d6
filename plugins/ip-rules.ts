// TODO(issue 4): the ip-rules policy. Adds no hook until it is built.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { PolicyOptions } from '../src/policies.js'

async function ipRulesPolicy (_scope: FastifyInstance, _options: PolicyOptions): Promise<void> {}

export default fp(ipRulesPolicy, { name: 'turnpike-ip-rules', fastify: '5.x' })
