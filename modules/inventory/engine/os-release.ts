import { clip, lines, type Parsed } from './parsed.js';

export interface OsRelease {
  readonly id: string;
  readonly name: string;
  readonly version?: string;
  readonly prettyName?: string;
}

const ASSIGNMENT = /^([A-Z][A-Z0-9_]*)=(.*)$/;

/**
 * /etc/os-release (os-release(5)): KEY=value lines, values optionally quoted with shell escapes.
 * Missing ID and NAME default to "linux" and "Linux" as the manual page says.
 */
export function parseOsRelease(text: string): Parsed<OsRelease> {
  const fields = new Map<string, string>();
  let skipped = 0;
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = ASSIGNMENT.exec(line);
    const value = match ? unquote(match[2] ?? '') : null;
    if (!match?.[1] || value === null) {
      skipped++;
      continue;
    }
    fields.set(match[1], value);
  }
  const version = fields.get('VERSION_ID') ?? fields.get('VERSION');
  const prettyName = fields.get('PRETTY_NAME');
  return {
    value: {
      id: clip(fields.get('ID') || 'linux', 64),
      name: clip(fields.get('NAME') || 'Linux', 256),
      ...(version ? { version: clip(version, 128) } : {}),
      ...(prettyName ? { prettyName: clip(prettyName, 256) } : {}),
    },
    skipped,
  };
}

function unquote(value: string): string | null {
  const quote = value[0];
  if (quote !== '"' && quote !== "'") return /^[^\s"'`$\\]*$/.test(value) ? value : null;
  if (value.length < 2 || value[value.length - 1] !== quote) return null;
  const inner = value.slice(1, -1);
  return quote === '"' ? inner.replace(/\\([$"\\`])/g, '$1') : inner;
}
