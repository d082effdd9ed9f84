import { type Translation, translateOsMatch, translateOsRegex, translatePcre2 } from './os-regex.js';

export type PatternSyntax = 'osmatch' | 'osregex' | 'pcre2';

/** A compiled pattern: `test` for rules, `exec` where decoders need captures and the match end. */
export interface Matcher {
  readonly source: string;
  readonly syntax: PatternSyntax;
  test(subject: string): boolean;
  /** The match of the first alternative (in pattern order, as OSSEC tries them) that matches. */
  exec(subject: string): RegExpExecArray | null;
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

export function compileMatcher(source: string, syntax: PatternSyntax): MatcherResult {
  let translation: Translation;
  if (syntax === 'osmatch') translation = translateOsMatch(source);
  else if (syntax === 'osregex') translation = translateOsRegex(source);
  else translation = translatePcre2(source);
  if (!translation.ok) return translation;
  const { alternatives, flags } = translation;
  try {
    const parts = alternatives.map((alt) => new RegExp(alt, flags));
    const combined =
      parts.length === 1 ? (parts[0] as RegExp) : new RegExp(alternatives.map((a) => `(?:${a})`).join('|'), flags);
    const matcher: Matcher =
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
    return { ok: true, matcher };
  } catch (error) {
    return { ok: false, message: `invalid ${syntax} pattern ${JSON.stringify(source)}: ${(error as Error).message}` };
  }
}
