import './formats.js';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** One reason a value did not match its schema, with a JSON pointer to the offending member. */
export interface ValidationIssue {
  readonly path: string;
  readonly message: string;
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/**
 * Checks untrusted data against a schema and returns it typed, or the list of issues.
 * Errors are values here: every edge (HTTP body, agent message, rule file) calls this and turns
 * the issues into a message for whoever sent the data.
 */
export function parseWith<S extends TSchema>(schema: S, value: unknown): Parsed<Static<S>> {
  if (Value.Check(schema, value)) return { ok: true, value: value as Static<S> };
  const issues: ValidationIssue[] = [];
  for (const error of Value.Errors(schema, value)) {
    issues.push({ path: error.path || '/', message: error.message });
    if (issues.length >= 20) break;
  }
  return { ok: false, issues };
}

/** Issues as one readable line, for CLI output and problem details. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
