/**
 * The NFLOG prefix names why a packet was logged, so the agent can turn it back into an event:
 * `bw|<what>|<verdict>` where what is a rule index or a built-in reason and verdict is
 * d (dropped), t (tap: would have been dropped) or l (log only). `bw|r` marks recon observations.
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
  | { readonly kind: 'verdict'; readonly reason: LogReason; readonly verdict: LogVerdict };

const REASON_CODES: Record<Exclude<LogReason['kind'], 'rule'>, string> = {
  'implicit-deny': 'imp',
  invalid: 'inv',
  'half-open-limit': 'ho',
  'blocked-source': 'blk',
  'marked-rule': 'm',
};
const VERDICT_CODES: Record<LogVerdict, string> = { dropped: 'd', 'would-drop': 't', logged: 'l' };

export const RECON_PREFIX = 'bw|r';

export function logPrefix(reason: LogReason, verdict: LogVerdict): string {
  const what = reason.kind === 'rule' ? String(reason.index) : REASON_CODES[reason.kind];
  return `bw|${what}|${VERDICT_CODES[verdict]}`;
}

/** Reads a prefix back; undefined for anything that is not ours. Never throws. */
export function parseLogPrefix(text: string): LogPrefix | undefined {
  if (text === RECON_PREFIX) return { kind: 'recon' };
  const m = /^bw\|([a-z0-9]{1,9})\|([dtl])$/.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const verdict = (Object.entries(VERDICT_CODES).find(([, c]) => c === m[2])?.[0] ?? 'logged') as LogVerdict;
  if (/^\d+$/.test(m[1])) return { kind: 'verdict', reason: { kind: 'rule', index: Number(m[1]) }, verdict };
  const kind = Object.entries(REASON_CODES).find(([, c]) => c === m[1])?.[0];
  if (!kind) return undefined;
  return { kind: 'verdict', reason: { kind } as LogReason, verdict };
}
