import { parseWith, type ValidationIssue } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';

/** The longest pattern a rule may carry; named so it can be documented and tested. */
export const MAX_PATTERN_CHARS = 256;

/**
 * One rule of this module. Replace the fields with your module's own; keep `id`, `name`,
 * `description` and `severity`, which the manager's rule catalogue and events show.
 */
export const AppcontrolRule = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{0,127}$' }),
    name: Type.String({ minLength: 1, maxLength: 256 }),
    description: Type.String({ maxLength: 4096 }),
    severity: Type.Union([
      Type.Literal('info'),
      Type.Literal('low'),
      Type.Literal('medium'),
      Type.Literal('high'),
      Type.Literal('critical'),
    ]),
    /** Text to find, compared without regard to case. */
    pattern: Type.String({ minLength: 1, maxLength: MAX_PATTERN_CHARS }),
    /** Recommend the rule for hosts with this package installed. */
    recommendedFor: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type AppcontrolRule = Static<typeof AppcontrolRule>;

/** A rule the engine refused, with the reason; refused rules are counted, never half-loaded. */
export interface RefusedRule {
  readonly id: string;
  readonly reason: string;
}

export interface CompiledAppcontrolRules {
  readonly rules: readonly { readonly rule: AppcontrolRule; readonly needle: string }[];
  readonly refused: readonly RefusedRule[];
}

function idOf(value: unknown): string {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string'
    ? (value as { id: string }).id
    : '(no id)';
}

function describe(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}

/**
 * Checks and prepares rules. Pure: data in, decisions out. A rule that does not fit the schema
 * is refused whole with the reason, so the caller can report it; the others are kept.
 */
export function compileAppcontrolRules(input: readonly unknown[]): CompiledAppcontrolRules {
  const rules: { rule: AppcontrolRule; needle: string }[] = [];
  const refused: RefusedRule[] = [];
  const seen = new Set<string>();
  for (const candidate of input) {
    const parsed = parseWith(AppcontrolRule, candidate);
    if (!parsed.ok) {
      refused.push({ id: idOf(candidate), reason: describe(parsed.issues) });
      continue;
    }
    if (seen.has(parsed.value.id)) {
      refused.push({ id: parsed.value.id, reason: 'another rule has the same id' });
      continue;
    }
    seen.add(parsed.value.id);
    rules.push({ rule: parsed.value, needle: parsed.value.pattern.toLowerCase() });
  }
  return { rules, refused };
}

/** The rules whose pattern occurs in `text`, in rule order. */
export function matchAppcontrolRules(compiled: CompiledAppcontrolRules, text: string): AppcontrolRule[] {
  const haystack = text.toLowerCase();
  return compiled.rules.filter((r) => haystack.includes(r.needle)).map((r) => r.rule);
}
