import type { Parsed, ValidationIssue } from '@bulwark/protocol';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { FirewallConfiguration } from '../engine/index.js';

let check: TypeCheck<typeof FirewallConfiguration> | undefined;

/**
 * Checks a received configuration against its schema with a checker compiled once: the generic
 * `Value.Check` of `parseWith` takes 150-500 ms on 10,000 rules, the compiled one 2-50 ms.
 */
export function parseConfiguration(value: unknown): Parsed<FirewallConfiguration> {
  check ??= TypeCompiler.Compile(FirewallConfiguration);
  if (check.Check(value)) return { ok: true, value };
  const issues: ValidationIssue[] = [];
  for (const error of check.Errors(value)) {
    issues.push({ path: error.path || '/', message: error.message });
    if (issues.length >= 20) break;
  }
  return { ok: false, issues };
}
