/**
 * `compileIpsRules`: assigned rules into a rule set the inspector runs, and the rules it
 * refused, each with a counted class. A rule is refused whole (never half-loaded): schema,
 * duplicate id, anything the Suricata parser refuses, a scope no unit can have.
 */
import { parseWith } from '@bulwark/protocol';
import { type CompiledRule, type Detection, prefilterOf, type RuleScope, scopeOfRule } from './compiled-rule.js';
import type { IpsApplicationType } from './ips-engine-contract.js';
import {
  type AssignedIpsRule,
  type CompiledIpsRuleSet,
  type IpsCompileOptions,
  type IpsCompileResult,
  IpsRule,
  type RefusedIpsRule,
} from './ips-engine-contract.js';
import { MultiPatternMatcher } from './multi-pattern.js';
import type { BufferName } from './suricata-buffers.js';
import { parseSuricataRule } from './suricata-rule.js';

/** The rule set's inside, which only the inspector reads. */
export interface RuleSetInternals extends CompiledIpsRuleSet {
  readonly rules: readonly CompiledRule[];
  /** Per buffer: the automaton over the rules' literals, and the rule index of each literal id. */
  readonly prefilters: ReadonlyMap<BufferName, { matcher: MultiPatternMatcher; rules: readonly (readonly number[])[] }>;
  /** Rules without a literal, per scope: run on every unit of that scope. */
  readonly alwaysRun: ReadonlyMap<RuleScope, readonly number[]>;
}

const internals = new WeakSet<object>();

export function ruleSetInternals(set: CompiledIpsRuleSet): RuleSetInternals {
  if (!internals.has(set)) throw new TypeError('not a rule set made by compileIpsRules');
  return set as RuleSetInternals;
}

function idOf(value: unknown): string {
  const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id.slice(0, 64) : '(no id)';
}

function numberParameters<T extends Record<string, number>>(
  own: T,
  overrides: Record<string, number> | undefined,
): T | string {
  const merged: Record<string, number> = { ...own };
  for (const [k, v] of Object.entries(overrides ?? {})) {
    if (!Object.hasOwn(own, k)) return `the parameter "${k}" is not one of ${Object.keys(own).join(', ')}`;
    if (!Number.isInteger(v) || v < 1) return `the parameter "${k}" must be a whole number of at least 1`;
    merged[k] = v;
  }
  return merged as T;
}

type Built = { ok: true; compiled: Omit<CompiledRule, 'index'>[] } | { ok: false; reasonClass: string; reason: string };

function build(assigned: AssignedIpsRule, options: IpsCompileOptions): Built {
  const { rule } = assigned;
  const d = rule.detection;
  const base = { rule, mode: assigned.mode };
  if (d.kind === 'http-limits') {
    const limits = numberParameters(d.parameters, assigned.parameters);
    if (typeof limits === 'string') return { ok: false, reasonClass: 'invalid:parameters', reason: limits };
    const detection: Detection = { kind: 'http-limits', limits };
    return { ok: true, compiled: [{ ...base, scope: 'http-request', transport: 'tcp', detection, readsBody: false }] };
  }
  if (d.kind === 'http-anomaly') {
    if (assigned.parameters !== undefined && Object.keys(assigned.parameters).length > 0)
      return { ok: false, reasonClass: 'invalid:parameters', reason: 'a protocol-violation rule takes no parameters' };
    const detection: Detection = { kind: 'http-anomaly', anomalies: new Set(d.anomalies) };
    // Body anomalies (chunking) appear when the message completes: judged there, once.
    return { ok: true, compiled: [{ ...base, scope: 'http-request', transport: 'tcp', detection, readsBody: true }] };
  }
  if (d.kind === 'rate') {
    const rate = numberParameters(d.parameters, assigned.parameters);
    if (typeof rate === 'string') return { ok: false, reasonClass: 'invalid:parameters', reason: rate };
    const detection: Detection = { kind: 'rate', rate };
    return {
      ok: true,
      compiled: [{ ...base, scope: 'new-flow', transport: rule.applicationType.protocol, detection, readsBody: false }],
    };
  }
  if (assigned.parameters !== undefined && Object.keys(assigned.parameters).length > 0)
    return { ok: false, reasonClass: 'invalid:parameters', reason: 'a Suricata-language rule takes no parameters' };
  const parts: Omit<CompiledRule, 'index'>[] = [];
  for (const text of d.kind === 'suricata' ? [d.rule] : d.rules) {
    const parsed = parseSuricataRule(text, options.variables);
    if (!parsed.ok) return parsed;
    const scope = scopeOfRule(parsed.rule);
    if (!scope.ok) return scope;
    const p = parsed.rule.protocol;
    const transport = p === 'udp' ? 'udp' : p === 'tcp' || p === 'http' || p === 'tls' ? 'tcp' : 'any';
    const prefilter = prefilterOf(parsed.rule, scope.scope);
    parts.push({
      ...base,
      scope: scope.scope,
      transport,
      detection: { kind: 'suricata', rule: parsed.rule },
      readsBody: parsed.rule.options.buffers.some(
        (l) => l.buffer === 'http.request_body' || l.buffer === 'http.response_body',
      ),
      ...(prefilter !== undefined ? { prefilter } : {}),
    });
  }
  return { ok: true, compiled: parts };
}

export function compileIpsRules(rules: readonly AssignedIpsRule[], options: IpsCompileOptions): IpsCompileResult {
  const compiled: CompiledRule[] = [];
  const refused: RefusedIpsRule[] = [];
  const seen = new Set<string>();
  for (const assigned of rules) {
    const id = idOf(assigned?.rule);
    const checked = parseWith(IpsRule, assigned?.rule);
    if (!checked.ok) {
      const reason = checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
      refused.push({ id, reasonClass: 'schema', reason });
      continue;
    }
    if (seen.has(id)) {
      refused.push({ id, reasonClass: 'duplicate-id', reason: 'another assigned rule has the same id' });
      continue;
    }
    let built: Built;
    try {
      built = build({ ...assigned, rule: checked.value }, options);
    } catch (error) {
      // A parser bug must cost one rule, never the rule set; it is counted like any refusal.
      built = { ok: false, reasonClass: 'internal-error', reason: String((error as Error)?.message ?? error) };
    }
    if (!built.ok) {
      refused.push({ id, reasonClass: built.reasonClass, reason: built.reason });
      continue;
    }
    seen.add(id);
    for (const part of built.compiled) compiled.push({ ...part, index: compiled.length });
  }
  return { ruleSet: assemble(compiled), refused };
}

function assemble(rules: readonly CompiledRule[]): RuleSetInternals {
  const literals = new Map<BufferName, Map<string, number[]>>();
  const alwaysRun = new Map<RuleScope, number[]>();
  for (const r of rules) {
    if (r.prefilter === undefined) {
      const list = alwaysRun.get(r.scope) ?? [];
      list.push(r.index);
      alwaysRun.set(r.scope, list);
      continue;
    }
    const byLiteral = literals.get(r.prefilter.buffer) ?? new Map<string, number[]>();
    literals.set(r.prefilter.buffer, byLiteral);
    const list = byLiteral.get(r.prefilter.literal) ?? [];
    list.push(r.index);
    byLiteral.set(r.prefilter.literal, list);
  }
  const prefilters = new Map<BufferName, { matcher: MultiPatternMatcher; rules: number[][] }>();
  for (const [buffer, byLiteral] of literals) {
    prefilters.set(buffer, { matcher: new MultiPatternMatcher([...byLiteral.keys()]), rules: [...byLiteral.values()] });
  }
  const types = new Map<string, IpsApplicationType>();
  for (const r of rules) {
    const t = r.rule.applicationType;
    types.set(JSON.stringify([t.protocol, [...t.ports].sort((a, b) => a - b)]), t);
  }
  const set: RuleSetInternals = {
    ruleCount: new Set(rules.map((r) => r.rule.id)).size,
    applicationTypes: [...types.values()],
    rules,
    prefilters,
    alwaysRun,
  };
  internals.add(set);
  return set;
}
