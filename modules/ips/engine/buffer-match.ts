/**
 * Full evaluation of one rule's conditions on one buffer, with Suricata's semantics: content
 * with offset/depth (absolute) or distance/within (relative to the previous match in the same
 * buffer), startswith/endswith, negation; pcre (R = relative); isdataat; bsize. When a relative
 * condition fails, the condition before it is tried at its next occurrence, as Suricata does;
 * the number of such steps is bounded per buffer.
 */
import type { Condition, ContentCondition } from './suricata-rule.js';
import { testNumber } from './suricata-text.js';

/** A buffer as latin1 text, and its ASCII lower case (nocase contents and the prefilter). */
export interface Subject {
  readonly text: string;
  readonly lower: string;
}

/** A regex sees at most this much of a buffer (the pcre input cap). */
export const PCRE_INPUT_CAP = 65_536;
/** Candidate positions tried per buffer chain before the rule is given up on (counted). */
export const MATCH_STEP_BUDGET = 4_096;

export interface MatchSpan {
  readonly start: number;
  readonly end: number;
}

export interface ChainOutcome {
  readonly matched: boolean;
  /** The first positive match, for the event's evidence. */
  readonly span?: MatchSpan;
  /** The step budget ran out before an answer (the chain counts as not matched). */
  readonly exhausted: boolean;
}

function isRelative(c: Condition | undefined): boolean {
  if (c === undefined) return false;
  if (c.kind === 'content') return c.distance !== undefined || c.within !== undefined;
  if (c.kind === 'pcre' || c.kind === 'isdataat') return c.relative;
  return false;
}

/** Where a content may start and where it must end by. */
function window(c: ContentCondition, prevEnd: number, length: number): { from: number; endBy: number } {
  if (c.startsWith) return { from: 0, endBy: c.bytes.length };
  if (c.distance !== undefined || c.within !== undefined) {
    const from = prevEnd + (c.distance ?? 0);
    return { from, endBy: c.within !== undefined ? from + c.within : length };
  }
  const from = c.offset ?? 0;
  return { from, endBy: c.depth !== undefined ? from + c.depth : length };
}

export function matchChain(conditions: readonly Condition[], subject: Subject): ChainOutcome {
  const state = { steps: MATCH_STEP_BUDGET, span: undefined as MatchSpan | undefined };
  const matched = step(conditions, 0, subject, 0, state);
  return { matched, exhausted: state.steps < 0, ...(state.span !== undefined ? { span: state.span } : {}) };
}

function step(
  conditions: readonly Condition[],
  k: number,
  s: Subject,
  prevEnd: number,
  state: { steps: number; span: MatchSpan | undefined },
): boolean {
  if (k === conditions.length) return true;
  if (--state.steps < 0) return false;
  const c = conditions[k] as Condition;
  const length = s.text.length;
  switch (c.kind) {
    case 'content': {
      const haystack = c.nocase ? s.lower : s.text;
      const needle = c.nocase ? c.lower : c.bytes;
      const { from, endBy } = window(c, prevEnd, length);
      const limit = Math.min(endBy, length);
      let pos = haystack.indexOf(needle, Math.max(0, from));
      if (c.negated) {
        while (pos !== -1 && pos + needle.length <= limit) {
          if (!c.endsWith || pos + needle.length === length) return false;
          pos = haystack.indexOf(needle, pos + 1);
        }
        return step(conditions, k + 1, s, prevEnd, state);
      }
      const retry = isRelative(conditions[k + 1]);
      while (pos !== -1 && pos + needle.length <= limit) {
        const end = pos + needle.length;
        if (!c.endsWith || end === length) {
          const before = state.span;
          if (before === undefined) state.span = { start: pos, end };
          if (step(conditions, k + 1, s, end, state)) return true;
          state.span = before;
          if (!retry || state.steps < 0) return false;
        }
        pos = haystack.indexOf(needle, pos + 1);
      }
      return false;
    }
    case 'pcre': {
      const base = c.relative ? Math.min(prevEnd, length) : 0;
      const input = s.text.slice(base, base + PCRE_INPUT_CAP);
      const m = c.regex.exec(input);
      if (c.negated) return m === null && step(conditions, k + 1, s, prevEnd, state);
      if (m === null) return false;
      const start = base + m.index;
      const end = start + m[0].length;
      const before = state.span;
      if (before === undefined) state.span = { start, end };
      if (step(conditions, k + 1, s, end, state)) return true;
      state.span = before;
      return false;
    }
    case 'isdataat': {
      // Suricata: absolute = a byte at that offset; relative = that many bytes after the match.
      const present = c.relative ? prevEnd + c.position <= length : c.position < length;
      return present !== c.negated && step(conditions, k + 1, s, prevEnd, state);
    }
    case 'bsize':
      return testNumber(c.test, length) && step(conditions, k + 1, s, prevEnd, state);
  }
}
