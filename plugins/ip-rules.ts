// IP rules: the first policy a request meets. `exempt` admits and marks the
// request so the rate-limit and DDoS policies skip it (exempt wins over deny), `deny`
// refuses with 403, a non-empty `allow` refuses every address not on it.
//
// The hook is added even when the config has no ipFilter if rules can come at run time
// (an admin token is set, Redis may bring another replica's, or some already exist);
// with no rule at all it returns at once. Otherwise there is no hook. The rules
// are in memory (Redis only shares the run-time changes in the background), so the
// hook is synchronous. One hook (and one compiled rule set) serves every route's scope.
import type { onRequestHookHandler } from 'fastify'
import type { PolicyOptions, RoutePolicy } from '../src/routing/route-policy.js'
import { IpDeniedError } from '../src/errors.js'
import { clientIpOf } from '../src/proxy/context.js'
import { configLists, effectiveLists } from '../src/ip-rules/lists.js'
import { IpRuleSet } from '../src/ip-rules/rule-set.js'

export function prepareIpRules (options: PolicyOptions): RoutePolicy | null {
  const store = options.edge.ipRules
  const fromConfig = configLists(options.config.security?.ipFilter)
  let version = store.version
  let rules = new IpRuleSet(effectiveLists(fromConfig, store.snapshot()))
  const canChange = options.config.admin.token !== '' || options.edge.redis !== null
  if (rules.empty && !canChange) return null

  const hook: onRequestHookHandler = (request, _reply, done) => {
    if (store.version !== version) {
      version = store.version
      rules = new IpRuleSet(effectiveLists(fromConfig, store.snapshot()))
    }
    if (rules.empty) {
      done()
      return
    }
    const verdict = rules.verdict(clientIpOf(request))
    if (verdict === 'pass') {
      done()
    } else if (verdict === 'exempt') {
      request.turnpike.exempt = true
      done()
    } else {
      options.metrics.countBlockedIp(verdict)
      done(new IpDeniedError())
    }
  }
  return (scope) => { scope.addHook('onRequest', hook) }
}
