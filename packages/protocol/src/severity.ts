import { type SchemaOptions, type Static, Type } from '@sinclair/typebox';

/** Event severities from least to most severe; ordering matters for filters and clipping. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

/** The severity schema; pass `{ default }` where a setting needs one. */
export function severitySchema(options: SchemaOptions = {}) {
  return Type.Union(
    SEVERITIES.map((s) => Type.Literal(s)),
    { description: 'Severity, from least to most severe: info, low, medium, high, critical', ...options },
  );
}

export const Severity = severitySchema();
export type Severity = Static<typeof Severity>;

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function atLeast(severity: Severity, minimum: Severity): boolean {
  return severityRank(severity) >= severityRank(minimum);
}
