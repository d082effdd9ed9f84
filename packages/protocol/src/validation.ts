import './formats.js';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';

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
    issues.push({ path: error.path || '/', message: issueMessage(error) });
    if (issues.length >= 20) break;
  }
  return { ok: false, issues };
}

/** Issues as one readable line, for CLI output and problem details. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/**
 * A schema error as the sender can act on it. TypeBox says "Expected union value" for a value
 * outside a set of literals (a role, a format, a severity); the allowed values are what to say.
 */
export function issueMessage(error: Pick<ValueError, 'message' | 'schema' | 'value'>): string {
  const allowed = literalChoices(error.schema);
  if (allowed === null) return error.message;
  return `must be one of ${allowed.join(', ')}; got ${shortJson(error.value)}`;
}

/** The values a union of literals (and null) allows, or null for any other schema. */
function literalChoices(schema: unknown): string[] | null {
  const anyOf = (schema as { anyOf?: unknown } | null)?.anyOf;
  if (!Array.isArray(anyOf) || anyOf.length === 0) return null;
  const choices: string[] = [];
  for (const member of anyOf as { const?: unknown; type?: unknown }[]) {
    if (member !== null && typeof member === 'object' && 'const' in member) choices.push(String(member.const));
    else if (member?.type === 'null') choices.push('null');
    else return null;
  }
  return choices;
}

function shortJson(value: unknown): string {
  const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
