import type { RulesetProblem } from '../engine/index.js';

/**
 * Groups the loader's refusals by reason, so a run over a whole ruleset says why things were
 * refused ("unknown element <x>", "plugin … is compiled into OSSEC") rather than listing
 * hundreds of lines. The reason is the message without the name of the rule or decoder and
 * without the trailing "rule refused": numbers and quoted values stay, so different elements
 * or plugins stay different reasons; a pattern's text and the decoder a `<decoded_as>` names are
 * left out, so one kind of pattern problem is one reason.
 */
export interface RefusalCounts {
  readonly decoders: number;
  readonly rules: number;
  readonly files: number;
  /** Reason → how many, most frequent first. */
  readonly byReason: readonly { reason: string; count: number; example: string }[];
}

const SUBJECT = /^(?:rule \d+:|decoder "[^"]*":)\s*/;
const VERDICT = /;\s*(?:rule|decoder|file|duplicate) refused$/;

export function refusalReason(message: string): string {
  return message
    .replace(SUBJECT, '')
    .replace(VERDICT, '')
    .replace(/if_sid [\d, ]+ names/, 'if_sid N names')
    .replace(/through rule \d+/, 'through rule N')
    .replace(/already defined at \S+/, 'already defined elsewhere')
    .replace(/parent rule \d+/g, 'parent rule N')
    .replace(/<decoded_as>[^<]*<\/decoded_as>/, '<decoded_as>…</decoded_as>')
    .replace(/pattern ".*" (?=has |needs |is |does |cannot )/, 'pattern "…" ')
    .trim();
}

export function summarizeRefusals(problems: readonly RulesetProblem[]): RefusalCounts {
  const errors = problems.filter((p) => p.severity === 'error');
  const counts = new Map<string, { count: number; example: string }>();
  let decoders = 0;
  let rules = 0;
  let files = 0;
  for (const p of errors) {
    if (p.message.startsWith('rule ')) rules++;
    else if (p.message.startsWith('decoder ')) decoders++;
    else if (p.message.endsWith('file refused')) files++;
    const reason = refusalReason(p.message);
    const entry = counts.get(reason);
    if (entry) entry.count++;
    else counts.set(reason, { count: 1, example: `${p.file}:${p.line}` });
  }
  const byReason = [...counts].map(([reason, v]) => ({ reason, ...v })).sort((a, b) => b.count - a.count);
  return { decoders, rules, files, byReason };
}
