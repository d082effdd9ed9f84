/**
 * Which kinds of rule can still match one direction of a flow. A rule's transport, flow
 * direction, addresses and ports are fixed for a flow, so this is decided once per flow and
 * direction; with what the traffic engine says of the flow's application (HTTP, TLS, DNS or
 * none, and whether the parser of a direction has finished), the inspector can tell the engine
 * that nothing more can match and the flow be handed back to the kernel.
 */
import type { FlowDirection, FlowEndpoints } from '@bulwark/traffic/engine';
import type { CompiledRule, RuleScope } from './compiled-rule.js';
import { flowMatches } from './evaluate-rule.js';
import { parseAddress } from './suricata-header.js';

/** The scopes whose units travel in each direction (request units go to the server...). */
const DIRECTION_SCOPES: Readonly<Record<FlowDirection, readonly RuleScope[]>> = {
  to_server: ['payload', 'http-request', 'http-any', 'tls', 'dns'],
  to_client: ['payload', 'http-response', 'http-any'],
};

export type ScopesReached = ReadonlySet<RuleScope>;

export class RuleReach {
  readonly #byScope = new Map<RuleScope, CompiledRule[]>();

  constructor(rules: readonly CompiledRule[]) {
    for (const r of rules) {
      const list = this.#byScope.get(r.scope) ?? [];
      list.push(r);
      this.#byScope.set(r.scope, list);
    }
  }

  /** The scopes of which at least one rule's header admits this flow in this direction. */
  scopesFor(endpoints: FlowEndpoints, direction: FlowDirection): ScopesReached {
    const client = parseAddress(endpoints.clientAddress);
    const server = parseAddress(endpoints.serverAddress);
    const view = { address: (which: 'client' | 'server') => (which === 'client' ? client : server) };
    const unit = { flow: endpoints, direction };
    const out = new Set<RuleScope>();
    for (const scope of DIRECTION_SCOPES[direction]) {
      for (const r of this.#byScope.get(scope) ?? []) {
        // Native checks (URI limits, protocol anomalies) apply to every flow on their ports.
        if (r.detection.kind !== 'suricata' || flowMatches(r.detection.rule, r.transport, unit, view)) {
          out.add(scope);
          break;
        }
      }
    }
    return out;
  }
}
