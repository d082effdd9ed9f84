/**
 * A rule as the inspector runs it: which inspection units it looks at (its scope), the literal
 * the prefilter finds it by, and its detection (a parsed Suricata rule or a native check).
 */
import type { IpsMode, IpsRule } from './ips-engine-contract.js';
import { type BufferName, isRequestOnly, isResponseOnly, scopeOf } from './suricata-buffers.js';
import type { SuricataRule } from './suricata-rule.js';

/**
 * - `http-request` / `http-response`: one side of an HTTP transaction (a response-side rule may
 *   also read the request it answers); `http-any`: either side.
 * - `tls`, `dns`: a ClientHello, a DNS query. `payload`: packet or stream bytes.
 * - `new-flow`: the first unit of each flow (rate checks).
 */
export type RuleScope = 'http-request' | 'http-response' | 'http-any' | 'tls' | 'dns' | 'payload' | 'new-flow';

export interface HttpLimits {
  readonly maxUriLength: number;
  readonly maxPathDepth: number;
  readonly maxParameters: number;
  readonly maxParameterLength: number;
}

export interface RateLimit {
  readonly count: number;
  readonly windowSeconds: number;
}

export type Detection =
  | { readonly kind: 'suricata'; readonly rule: SuricataRule }
  | { readonly kind: 'http-limits'; readonly limits: HttpLimits }
  | { readonly kind: 'http-anomaly'; readonly anomalies: ReadonlySet<string> }
  | { readonly kind: 'rate'; readonly rate: RateLimit };

export interface CompiledRule {
  /** Position in the rule set: findings come out in this order. */
  readonly index: number;
  readonly rule: IpsRule;
  readonly mode: IpsMode | undefined;
  readonly scope: RuleScope;
  readonly transport: 'tcp' | 'udp' | 'any';
  readonly detection: Detection;
  /** Reads a message body: evaluated again when the body of a message seen at `headers` completes. */
  readonly readsBody: boolean;
  /** The literal the prefilter looks for (lower case) and the buffer it looks in. */
  readonly prefilter?: { readonly buffer: BufferName; readonly literal: string };
}

export type ScopeResult = { ok: true; scope: RuleScope } | { ok: false; reasonClass: string; reason: string };

/** Which units a Suricata rule can match, from its buffers, protocol and flow direction. */
export function scopeOfRule(rule: SuricataRule): ScopeResult {
  const o = rule.options;
  const scopes = new Set<string>(o.buffers.map((l) => scopeOf(l.buffer)));
  if (o.urilen !== undefined) scopes.add('http');
  if (o.dsize !== undefined) scopes.add('payload');
  if (scopes.size === 0) {
    if (rule.protocol === 'http' || rule.protocol === 'tls' || rule.protocol === 'dns') scopes.add(rule.protocol);
    else scopes.add('payload');
  }
  if (scopes.size > 1) {
    return { ok: false, reasonClass: 'mixed-buffers', reason: `the rule mixes ${[...scopes].join(' and ')} buffers` };
  }
  const only = [...scopes][0] as 'http' | 'tls' | 'dns' | 'payload';
  if (only === 'tls' && rule.protocol !== 'tls' && rule.protocol !== 'tcp' && rule.protocol !== 'ip')
    return { ok: false, reasonClass: 'invalid:buffer', reason: `tls.sni in a ${rule.protocol} rule` };
  if (only !== 'http') return { ok: true, scope: only };
  const buffers = o.buffers.map((l) => l.buffer);
  const response = buffers.some(isResponseOnly) || o.direction === 'to_client';
  const request = buffers.some(isRequestOnly) || o.urilen !== undefined || o.direction === 'to_server';
  if (buffers.some(isResponseOnly) && o.direction === 'to_server')
    return { ok: false, reasonClass: 'invalid:flow', reason: 'response buffers in a to_server rule' };
  return { ok: true, scope: response ? 'http-response' : request ? 'http-request' : 'http-any' };
}

/** The literal the prefilter finds the rule by: its fast_pattern content, else its longest. */
export function prefilterOf(rule: SuricataRule, scope: RuleScope): CompiledRule['prefilter'] {
  let best: { buffer: BufferName; literal: string; fast: boolean } | undefined;
  for (const list of rule.options.buffers) {
    // A transform other than dotprefix changes the bytes: the prefilter, which scans buffers
    // as they are, cannot look for such a list's literals.
    if (list.transforms.some((t) => t !== 'dotprefix')) continue;
    // A response rule reads request buffers from the request it answers; the prefilter scans
    // only the unit's own buffers.
    if (scope === 'http-response' && isRequestOnly(list.buffer)) continue;
    for (const c of list.conditions) {
      if (c.kind !== 'content' || c.negated) continue;
      const better =
        best === undefined ||
        (c.fastPattern && !best.fast) ||
        (c.fastPattern === best.fast && c.lower.length > best.literal.length);
      // Under dotprefix the buffer is read with a "." before it: the prefilter, which scans the
      // buffer as it is, looks for the literal without that dot.
      const literal = list.transforms.includes('dotprefix') && c.lower.startsWith('.') ? c.lower.slice(1) : c.lower;
      if (literal === '') continue;
      if (better) best = { buffer: list.buffer, literal, fast: c.fastPattern };
    }
  }
  return best === undefined ? undefined : { buffer: best.buffer, literal: best.literal };
}
