/**
 * Suricata's `pcre:"/.../flags"` into a JavaScript RegExp that means the same on a buffer read
 * as latin1 (one character per byte): the PCRE2 translation shared with log inspection (ASCII
 * classes, caseless as explicit pairs), Suricata's own flags mapped, and the backtracking guard:
 * a pattern whose time the guard cannot bound is refused at load, never run.
 */
import { enableBacktrackingGuard, runsInLinearTime, translatePcre2 } from '@bulwark/protocol/pcre2';
import type { BufferName } from './suricata-buffers.js';

export interface SuricataPcre {
  readonly regex: RegExp;
  readonly negated: boolean;
  readonly relative: boolean;
  /** The buffer a flag names (U, I, P, Q, H, D, M, C, S, Y, V, W); undefined = the sticky one. */
  readonly buffer: BufferName | undefined;
  readonly source: string;
}

export type PcreParse =
  | { readonly ok: true; readonly pcre: SuricataPcre }
  | { readonly ok: false; readonly reasonClass: string; readonly reason: string };

const FLAG_BUFFERS: Readonly<Record<string, BufferName>> = {
  U: 'http.uri',
  I: 'http.uri.raw',
  P: 'http.request_body',
  Q: 'http.response_body',
  H: 'http.header',
  D: 'http.header.raw',
  M: 'http.method',
  C: 'http.cookie',
  S: 'http.stat_code',
  Y: 'http.stat_msg',
  V: 'http.user_agent',
  W: 'http.host',
};

/** Undo the rule-level escapes of `"` and `;` (the rest are the pattern's own). */
function unescapeRuleLevel(body: string): string {
  return body.replace(/\\([";])/g, '$1');
}

export function parseSuricataPcre(value: string): PcreParse {
  const refuse = (reasonClass: string, reason: string): PcreParse => ({ ok: false, reasonClass, reason });
  let v = value.trim();
  let negated = false;
  if (v.startsWith('!')) {
    negated = true;
    v = v.slice(1).trim();
  }
  if (v.length < 2 || !v.startsWith('"') || !v.endsWith('"')) return refuse('invalid:pcre', 'pcre must be quoted');
  v = unescapeRuleLevel(v.slice(1, -1));
  const last = v.lastIndexOf('/');
  if (!v.startsWith('/') || last <= 0) return refuse('invalid:pcre', 'pcre must be "/pattern/flags"');
  let pattern = v.slice(1, last);
  const flags = v.slice(last + 1);
  let caseless = false;
  let relative = false;
  let buffer: BufferName | undefined;
  let prefix = '';
  let anchored = false;
  for (const f of flags) {
    if (f === 'i') caseless = true;
    else if (f === 's') prefix += '(?s)';
    else if (f === 'm') prefix += '(?m)';
    else if (f === 'G') prefix += '(?U)';
    else if (f === 'A') anchored = true;
    else if (f === 'R') relative = true;
    else if (f === 'B' || f === 'O') {
      // B: accepted by Suricata for compatibility, no effect. O: lifts PCRE's match limits; the
      // guard below bounds the time instead.
    } else if (f === 'E') {
      // `$` at the very end only: refuse where the pattern has a `$` whose meaning would change.
      if (/(^|[^\\])\$/.test(pattern)) return refuse('pcre-flag:E', 'the pcre flag E with a $ in the pattern');
    } else if (FLAG_BUFFERS[f] !== undefined) {
      if (buffer !== undefined) return refuse('invalid:pcre', `pcre names two buffers (${flags})`);
      buffer = FLAG_BUFFERS[f];
    } else if (/^[A-Za-z]$/.test(f)) return refuse(`pcre-flag:${f}`, `the pcre flag ${f} is not supported`);
    else return refuse('invalid:pcre', `"${f}" among the pcre flags`);
  }
  if (anchored) pattern = `^(?:${pattern})`;
  const translated = translatePcre2(prefix + pattern, { caseless, plainAsString: false });
  if (!translated.ok) return refuse('regex-untranslatable', translated.message);
  if (translated.unbounded !== undefined && runsInLinearTime(translated.source, '') !== true) {
    return refuse(
      'regex-unsafe',
      `pcre ${JSON.stringify(pattern.slice(0, 120))} has ${translated.unbounded} and needs features V8's linear-time engine lacks, so its time could not be bounded`,
    );
  }
  enableBacktrackingGuard();
  let regex: RegExp;
  try {
    regex = new RegExp(translated.source);
  } catch (error) {
    return refuse('regex-untranslatable', (error as Error).message);
  }
  return { ok: true, pcre: { regex, negated, relative, buffer, source: pattern } };
}
