import { runsInLinearTime } from '@bulwark/protocol/pcre2';
import { type Translation, translateOsRegex, translatePcre2 } from './os-regex.js';
import type { MatcherGuard } from './pattern-guard.js';

export type PatternSyntax = 'osmatch' | 'osregex' | 'pcre2';

/** A compiled pattern: `test` for rules, `exec` where decoders need captures and the match end. */
export interface Matcher {
  readonly source: string;
  readonly syntax: PatternSyntax;
  test(subject: string): boolean;
  /** The match of the first alternative (in pattern order, as OSSEC tries them) that matches. */
  exec(subject: string): RegExpExecArray | null;
  /**
   * Lower-cased texts that, for some alternative, must all occur in the lower-cased subject for a
   * match (a necessary condition only); undefined when a match needs no particular text.
   */
  readonly literals?: readonly (readonly string[])[];
  /**
   * The same pattern without its own test for `literals`, for a caller that has just made an
   * equivalent test (the engine's literal scanner); running it on any subject is still correct.
   */
  readonly bare?: Pick<Matcher, 'test' | 'exec'>;
}

export type MatcherResult =
  | { readonly ok: true; readonly matcher: Matcher }
  | { readonly ok: false; readonly message: string };

export function syntaxFromType(type: string | undefined, fallback: PatternSyntax): PatternSyntax | undefined {
  if (type === undefined || type === '') return fallback;
  const t = type.toLowerCase();
  if (t === 'osmatch' || t === 'osregex' || t === 'pcre2') return t;
  return undefined;
}

/**
 * The lower-cased form of the last subject, shared by all matchers: one event's log is tested by
 * hundreds of patterns in a row, and this keeps it to one toLowerCase per subject.
 */
let subjectA = '';
let lowerA = '';
let subjectB = '';
let lowerB = '';
/** Two slots: rules alternate between the log and a field (program name, user), which thrashed one. */
export function lower(s: string): string {
  if (s === subjectA) return lowerA;
  if (s === subjectB) {
    const l = lowerB;
    subjectB = subjectA;
    lowerB = lowerA;
    subjectA = s;
    lowerA = l;
    return l;
  }
  subjectB = subjectA;
  lowerB = lowerA;
  subjectA = s;
  lowerA = s.toLowerCase();
  return lowerA;
}

/** True when, for some alternative, the lower-cased subject contains all its required texts. */
function anyIncluded(subject: string, required: readonly (readonly string[])[]): boolean {
  const l = lower(subject);
  for (let a = 0; a < required.length; a++) {
    const texts = required[a] as readonly string[];
    let all = true;
    for (let i = 0; i < texts.length; i++) {
      if (!l.includes(texts[i] as string)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

interface LiteralAlternative {
  readonly text: string;
  readonly start: boolean;
  readonly end: boolean;
}

/**
 * OS_Match needs no regular expression: each alternative is lower-cased text, optionally anchored,
 * found with startsWith/endsWith/indexOf on the lower-cased subject.
 */
function osMatchMatcher(source: string): Matcher {
  // A leading "!" negates the whole pattern.
  const negated = source.startsWith('!');
  const body = negated ? source.slice(1) : source;
  const alternatives: LiteralAlternative[] = body.split('|').map((alt) => {
    let text = alt;
    const start = text.startsWith('^');
    if (start) text = text.slice(1);
    const end = text.endsWith('$');
    if (end) text = text.slice(0, -1);
    return { text: text.toLowerCase(), start, end };
  });
  const find = (s: string): [number, number] | undefined => {
    const l = lower(s);
    for (const a of alternatives) {
      if (a.start && a.end) {
        if (l === a.text) return [0, a.text.length];
      } else if (a.start) {
        if (l.startsWith(a.text)) return [0, a.text.length];
      } else if (a.end) {
        if (l.endsWith(a.text)) return [l.length - a.text.length, l.length];
      } else {
        const at = l.indexOf(a.text);
        if (at !== -1) return [at, at + a.text.length];
      }
    }
    return undefined;
  };
  const found = negated
    ? (s: string): [number, number] | undefined => (find(s) === undefined ? [0, s.length] : undefined)
    : find;
  const literals = negated || alternatives.some((a) => a.text === '') ? undefined : alternatives.map((a) => [a.text]);
  return {
    source,
    syntax: 'osmatch',
    ...(literals ? { literals } : {}),
    test: (s) => found(s) !== undefined,
    exec: (s) => {
      const f = found(s);
      if (!f) return null;
      const m = [s.slice(f[0], f[1])] as unknown as RegExpExecArray;
      m.index = f[0];
      m.input = s;
      return m;
    },
  };
}

export interface MatcherOptions {
  /** PCRE2 only: match without case, as OSSEC compiles its `*_pcre2` elements (PCRE2_CASELESS). */
  readonly caseless?: boolean;
  /** Runs each match through this guard when V8 can only run the pattern by backtracking. */
  readonly guard?: MatcherGuard;
}

export function compileMatcher(source: string, syntax: PatternSyntax, options: MatcherOptions = {}): MatcherResult {
  if (syntax === 'osmatch') return { ok: true, matcher: osMatchMatcher(source) };
  const translation: Translation =
    syntax === 'osregex' ? translateOsRegex(source) : translatePcre2(source, { caseless: options.caseless ?? false });
  if (!translation.ok) return translation;
  const { alternatives, flags } = translation;
  if (translation.unbounded !== undefined && alternatives.some((a) => runsInLinearTime(a, flags) !== true)) {
    return {
      ok: false,
      message: `${syntax} pattern ${JSON.stringify(source)} has ${translation.unbounded} and needs features V8's linear-time engine lacks, so the backtracking guard could not bound its time`,
    };
  }
  try {
    const parts = alternatives.map((alt) => new RegExp(alt, flags));
    const combined =
      parts.length === 1 ? (parts[0] as RegExp) : new RegExp(alternatives.map((a) => `(?:${a})`).join('|'), flags);
    const required = translation.required;
    let matcher: Matcher =
      parts.length === 1
        ? { source, syntax, test: (s) => combined.test(s), exec: (s) => combined.exec(s) }
        : {
            source,
            syntax,
            test: (s) => combined.test(s),
            exec: (s) => {
              for (const p of parts) {
                const m = p.exec(s);
                if (m) return m;
              }
              return null;
            },
          };
    const guard = options.guard;
    if (guard && alternatives.some((a) => runsInLinearTime(a, flags) !== true)) {
      const inner = matcher;
      const { owner, run } = guard;
      owner.guardedPatterns++;
      matcher = {
        source,
        syntax,
        test: (s) => !owner.disabled && run(owner, source, () => inner.test(s)),
        exec: (s) => (owner.disabled ? null : run(owner, source, () => inner.exec(s))),
      };
    }
    const bare = matcher;
    const exact = translation.requiredExact;
    if (exact) {
      const inner = matcher;
      matcher = {
        source,
        syntax,
        test: (s) => s.includes(exact) && inner.test(s),
        exec: (s) => (s.includes(exact) ? inner.exec(s) : null),
      };
    }
    if (required) {
      const inner = matcher;
      matcher = {
        source,
        syntax,
        test: (s) => anyIncluded(s, required) && inner.test(s),
        exec: (s) => (anyIncluded(s, required) ? inner.exec(s) : null),
      };
    }
    const literals = required ?? (exact !== undefined ? [[exact.toLowerCase()]] : undefined);
    return { ok: true, matcher: literals ? { ...matcher, literals, bare } : matcher };
  } catch (error) {
    return { ok: false, message: `invalid ${syntax} pattern ${JSON.stringify(source)}: ${(error as Error).message}` };
  }
}
