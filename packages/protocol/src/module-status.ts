import { type Static, Type } from '@sinclair/typebox';

export const ModuleState = Type.Union([
  Type.Literal('on'),
  Type.Literal('off'),
  Type.Literal('error'),
  Type.Literal('unavailable'),
]);
export type ModuleState = Static<typeof ModuleState>;

/** What a module reports of itself in every heartbeat. `reason` is required for error and unavailable. */
export const ModuleStatus = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    state: ModuleState,
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    counters: Type.Optional(Type.Record(Type.String(), Type.Number())),
  },
  { additionalProperties: false },
);
export type ModuleStatus = Static<typeof ModuleStatus>;

/** The longest `reason` a status may carry (the schema's maxLength). */
export const MAX_STATUS_REASON = 1024;

/**
 * A status reason naming the rules a module received but does not enforce, so a rule the
 * compiler refused shows on the computer instead of vanishing. Cut to fit the status schema,
 * saying how many more there were.
 */
export function describeRejectedRules(
  rejected: readonly { readonly id: string; readonly reason: string }[],
  limit = MAX_STATUS_REASON,
): string {
  const head = `${rejected.length} rule${rejected.length === 1 ? '' : 's'} not enforced: `;
  const parts = rejected.map((r) => `${r.id} (${r.reason})`);
  const full = head + parts.join('; ');
  if (full.length <= limit) return full;
  for (let kept = parts.length - 1; kept >= 1; kept--) {
    const text = `${head}${parts.slice(0, kept).join('; ')}; and ${parts.length - kept} more`;
    if (text.length <= limit) return text;
  }
  const tail = parts.length > 1 ? `; and ${parts.length - 1} more` : '';
  return `${(head + (parts[0] ?? '')).slice(0, Math.max(0, limit - tail.length - 1))}…${tail}`;
}
