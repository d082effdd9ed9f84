/**
 * The NFLOG prefix names why a packet was logged, so the agent can turn it back into an event:
 * `bw|<table>|<what>|<verdict>` where table is the version of the table that logged it (the
 * agent keeps the rule list of each recent version, so a packet logged before a configuration
 * change is still named after the rule that matched it, not the rule now at that position), what
 * is a rule index or a built-in reason, and verdict is d (dropped), t (would have been dropped:
 * tap mode or a rule in detect mode) or l (log only). `bw|r` marks recon observations.
 */
export type LogVerdict = 'dropped' | 'would-drop' | 'logged';

export type LogReason =
  | { readonly kind: 'rule'; readonly index: number }
  | { readonly kind: 'implicit-deny' }
  | { readonly kind: 'invalid' }
  | { readonly kind: 'half-open-limit' }
  | { readonly kind: 'blocked-source' }
  /** A folded deny or log-only rule: the packet mark carries the rule index (see rule-merging.ts). */
  | { readonly kind: 'marked-rule' };

export type LogPrefix =
  | { readonly kind: 'recon' }
  | {
      readonly kind: 'verdict';
      readonly reason: LogReason;
      readonly verdict: LogVerdict;
      /** The table version the rule index belongs to; absent in prefixes of tables without one. */
      readonly table?: string;
    };

const REASON_CODES: Record<Exclude<LogReason['kind'], 'rule'>, string> = {
  'implicit-deny': 'imp',
  invalid: 'inv',
  'half-open-limit': 'ho',
  'blocked-source': 'blk',
  'marked-rule': 'm',
};
const VERDICT_CODES: Record<LogVerdict, string> = { dropped: 'd', 'would-drop': 't', logged: 'l' };

export const RECON_PREFIX = 'bw|r';

/** A table version as it goes into a prefix: 1 to 12 lowercase hex digits. */
export const TABLE_VERSION_PATTERN = /^[0-9a-f]{1,12}$/;

export function logPrefix(reason: LogReason, verdict: LogVerdict, table?: string): string {
  const what = reason.kind === 'rule' ? String(reason.index) : REASON_CODES[reason.kind];
  const version = table !== undefined && TABLE_VERSION_PATTERN.test(table) ? `${table}|` : '';
  return `bw|${version}${what}|${VERDICT_CODES[verdict]}`;
}

/** Reads a prefix back; undefined for anything that is not ours. Never throws. */
export function parseLogPrefix(text: string): LogPrefix | undefined {
  if (text === RECON_PREFIX) return { kind: 'recon' };
  const m = /^bw\|(?:([0-9a-f]{1,12})\|)?([a-z0-9]{1,9})\|([dtl])$/.exec(text);
  if (!m?.[2] || !m[3]) return undefined;
  const verdict = (Object.entries(VERDICT_CODES).find(([, c]) => c === m[3])?.[0] ?? 'logged') as LogVerdict;
  const table = m[1] !== undefined ? { table: m[1] } : {};
  if (/^\d+$/.test(m[2])) return { kind: 'verdict', reason: { kind: 'rule', index: Number(m[2]) }, verdict, ...table };
  const kind = Object.entries(REASON_CODES).find(([, c]) => c === m[2])?.[0];
  if (!kind) return undefined;
  return { kind: 'verdict', reason: { kind } as LogReason, verdict, ...table };
}
