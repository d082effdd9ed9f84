/**
 * Defence in depth beside the load-time check: a pattern V8 can only run by backtracking (a
 * backreference or a lookaround its linear-time engine lacks) was admitted because its shape
 * bounds the work, but a long crafted line can still make it slow (quadratic, say). Each match of
 * such a pattern goes through a guard the caller supplies (the agent measures the time: the engine
 * has no clock); once a match goes over the guard's budget the guard sets `disabled`, and the rule
 * or decoder the pattern belongs to never matches again in this engine.
 */
export interface GuardedOwner {
  readonly kind: 'rule' | 'decoder';
  /** The rule id or the decoder name. */
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** Set by the guard; read by the owner's checks. */
  disabled: boolean;
  /** How many of the owner's patterns run through the guard. */
  guardedPatterns: number;
}

/** Runs `match` (one match of `pattern` for `owner`) and returns its result; disables the owner when it took too long. */
export type PatternGuard = <T>(owner: GuardedOwner, pattern: string, match: () => T) => T;

/** What compileMatcher needs to guard a pattern of one rule or decoder. */
export interface MatcherGuard {
  readonly owner: GuardedOwner;
  readonly run: PatternGuard;
}

export function guardedOwner(kind: GuardedOwner['kind'], name: string, file: string, line: number): GuardedOwner {
  return { kind, name, file, line, disabled: false, guardedPatterns: 0 };
}
