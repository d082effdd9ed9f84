import { parseWith, type ValidationIssue } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { compilePathPattern, MAX_PATH_PATTERN_CHARS } from './path-pattern.js';

/** Hashes one ruleset may list (a block list imported from a feed can be long). */
export const MAX_RULE_HASHES = 50_000;
/** Path patterns one ruleset may list. */
export const MAX_RULE_PATHS = 1_000;

export const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lower-case hex' });

/**
 * A ruleset: software allowed or blocked by SHA-256 and by path, shared across computers by
 * assigning it to policies or computers like any rule.
 */
export const AppcontrolRule = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,127}$' }),
    name: Type.String({ minLength: 1, maxLength: 256 }),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    action: Type.Union([Type.Literal('allow'), Type.Literal('block')]),
    hashes: Type.Optional(Type.Array(Sha256, { maxItems: MAX_RULE_HASHES })),
    /** Absolute paths, with `*`, `**` and `?` (path-pattern.ts). */
    paths: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: MAX_PATH_PATTERN_CHARS }), { maxItems: MAX_RULE_PATHS }),
    ),
  },
  { additionalProperties: false },
);
export type AppcontrolRule = Static<typeof AppcontrolRule>;

/** A rule refused whole, with the reason; counted and named in the module status. */
export interface RefusedRule {
  readonly id: string;
  readonly reason: string;
}

export type RuleCheck =
  | { readonly ok: true; readonly rule: AppcontrolRule }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Schema, then what the schema cannot say: at least one hash or path; every path pattern compiles. */
export function checkAppcontrolRule(candidate: unknown): RuleCheck {
  const parsed = parseWith(AppcontrolRule, candidate);
  if (!parsed.ok) return { ok: false, issues: parsed.issues };
  const rule = parsed.value;
  const issues: ValidationIssue[] = [];
  if ((rule.hashes?.length ?? 0) + (rule.paths?.length ?? 0) === 0)
    issues.push({ path: '/hashes', message: 'a ruleset names at least one hash or path' });
  (rule.paths ?? []).forEach((p, i) => {
    const compiled = compilePathPattern(p);
    if (!compiled.ok) issues.push({ path: `/paths/${i}`, message: compiled.message });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, rule };
}

export function ruleIdOf(value: unknown): string {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string'
    ? (value as { id: string }).id
    : '(no id)';
}
