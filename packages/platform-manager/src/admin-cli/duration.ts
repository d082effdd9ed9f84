const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** The longest span the CLI accepts (ten years); longer is a typo, not a wish. */
export const MAX_DURATION_SECONDS = 10 * 365 * 86_400;

/**
 * `90s`, `15m`, `24h`, `7d`, `2w`, or combinations such as `1h30m`, in seconds.
 * Null for anything else, zero included: a duration of nothing is always a mistake here.
 */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '' || trimmed.length > 64 || !/^(\d+[smhdw])+$/.test(trimmed)) return null;
  let seconds = 0;
  for (const match of trimmed.matchAll(/(\d+)([smhdw])/g)) {
    seconds += Number(match[1]) * UNIT_SECONDS[match[2]!]!;
    if (!Number.isSafeInteger(seconds) || seconds > MAX_DURATION_SECONDS) return null;
  }
  return seconds > 0 ? seconds : null;
}

/** `--since 1h` or an absolute ISO time, as the ISO time it means. */
export function parseSince(text: string, now: Date): string | null {
  const seconds = parseDuration(text);
  if (seconds !== null) return new Date(now.getTime() - seconds * 1000).toISOString();
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const time = Date.parse(text);
    if (!Number.isNaN(time)) return new Date(time).toISOString();
  }
  return null;
}
