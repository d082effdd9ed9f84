import { ok, type ParseResult, refuse } from './parse-result.js';

/**
 * /proc/self/mountinfo, to find what is mounted from a block device (by MAJOR:MINOR, which
 * survives renames and bind mounts) before it is remounted read-only.
 */

/** Most mount lines read; a host with more is refused rather than half-read. */
export const MAX_MOUNTS = 100_000;

export interface MountEntry {
  /** `MAJOR:MINOR` of the mounted device. */
  readonly dev: string;
  readonly mountPoint: string;
  /** Per-mount options include `ro` or `rw`. */
  readonly readOnly: boolean;
  readonly fsType: string;
  readonly source: string;
}

/** The kernel escapes space, tab, newline and backslash in paths as three octal digits. */
function unescapeOctal(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

export function parseMountinfo(text: string): ParseResult<MountEntry[]> {
  const entries: MountEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (fields.length < 10 || dash < 0 || dash + 3 > fields.length)
      return refuse('bad-line', `line ${i + 1} does not have the mountinfo fields`, i + 1);
    const dev = fields[2] ?? '';
    if (!/^\d+:\d+$/.test(dev))
      return refuse('bad-line', `line ${i + 1}: ${JSON.stringify(dev.slice(0, 20))} is not MAJOR:MINOR`, i + 1);
    const options = (fields[5] ?? '').split(',');
    entries.push({
      dev,
      mountPoint: unescapeOctal(fields[4] ?? ''),
      readOnly: options.includes('ro'),
      fsType: fields[dash + 1] ?? '',
      source: unescapeOctal(fields[dash + 2] ?? ''),
    });
    if (entries.length > MAX_MOUNTS) return refuse('too-many', `more than ${MAX_MOUNTS} mounts`, i + 1);
  }
  return ok(entries);
}
