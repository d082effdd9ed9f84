import type { ValidationIssue } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import type { AssignedIpsRule, IpsMode } from '../engine/ips-engine-contract.js';
import { IpsRule } from '../engine/ips-engine-contract.js';

/** What a policy or computer may override on an IPS rule (`bulwark rules override ips RULE JSON`). */
export const OVERRIDABLE = ['mode', 'parameters'] as const;

const MODES: readonly IpsMode[] = ['prevent', 'detect'];

export type AssignedRuleResult = { ok: true; value: AssignedIpsRule } | { ok: false; issues: ValidationIssue[] };

/**
 * An assigned rule as the engine takes it: the catalogue definition checked against the rule
 * schema, the overrides merged along the policy chain checked field by field. `mode` is
 * prevent/detect; `parameters` replaces named parameters of a native check (the HTTP limits,
 * a rate) and nothing else: a Suricata rule has no parameters to override.
 */
export function assignedIpsRule(definition: unknown, overrides: Readonly<Record<string, unknown>>): AssignedRuleResult {
  if (!Value.Check(IpsRule, definition)) {
    const first = [...Value.Errors(IpsRule, definition)].slice(0, 3);
    return { ok: false, issues: first.map((e) => ({ path: e.path || '/', message: e.message })) };
  }
  const rule = definition;
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(overrides)) {
    if (!(OVERRIDABLE as readonly string[]).includes(key))
      issues.push({ path: `/${key}`, message: `an IPS rule override may set ${OVERRIDABLE.join(' or ')}, not ${key}` });
  }
  const mode = overrides.mode;
  if (mode !== undefined && !MODES.includes(mode as IpsMode))
    issues.push({ path: '/mode', message: `mode must be "prevent" or "detect", not ${JSON.stringify(mode)}` });
  const parameters = overrides.parameters;
  let merged: Record<string, number> | undefined;
  if (parameters !== undefined) {
    const d = rule.detection;
    const own = d.kind === 'http-limits' || d.kind === 'rate' ? (d.parameters as Record<string, number>) : undefined;
    if (own === undefined) {
      issues.push({
        path: '/parameters',
        message: `${rule.id} has no parameters to override (only mode): only native checks (HTTP limits, rates) have them`,
      });
    } else if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
      issues.push({ path: '/parameters', message: 'parameters must be an object such as {"maxUriLength": 8000}' });
    } else {
      merged = {};
      for (const [name, value] of Object.entries(parameters)) {
        if (!Object.hasOwn(own, name)) {
          issues.push({
            path: `/parameters/${name}`,
            message: `${rule.id} has no parameter ${name}; its parameters: ${Object.keys(own).join(', ')}`,
          });
        } else if (!Number.isSafeInteger(value) || (value as number) < 1) {
          issues.push({ path: `/parameters/${name}`, message: `${name} must be a whole number of at least 1` });
        } else {
          merged[name] = value as number;
        }
      }
    }
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      rule,
      ...(mode !== undefined ? { mode: mode as IpsMode } : {}),
      ...(merged !== undefined && Object.keys(merged).length > 0 ? { parameters: merged } : {}),
    },
  };
}
