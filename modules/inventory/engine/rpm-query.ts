import type { InstalledPackage } from '@bulwark/protocol';
import { clip, lines, type Parsed } from './parsed.js';

/** The format the agent passes to `rpm -qa --queryformat`: one tab-separated line per package. */
export const RPM_QUERY_FORMAT = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n';

/** Parses what `rpm -qa --queryformat RPM_QUERY_FORMAT` prints. Version is [epoch:]version-release. */
export function parseRpmQuery(text: string): Parsed<InstalledPackage[]> {
  const packages: InstalledPackage[] = [];
  let skipped = 0;
  for (const line of lines(text)) {
    if (line.trim() === '') continue;
    const [name, epoch, version, release, architecture, ...rest] = line.split('\t');
    if (!name || !version || !release || architecture === undefined || rest.length > 0 || /\s/.test(name)) {
      skipped++;
      continue;
    }
    const epochPart = epoch && epoch !== '(none)' && /^\d+$/.test(epoch) ? `${epoch}:` : '';
    packages.push({
      name: clip(name, 256),
      version: clip(`${epochPart}${version}-${release}`, 256),
      ...(architecture && architecture !== '(none)' ? { architecture: clip(architecture, 64) } : {}),
      manager: 'rpm',
    });
  }
  return { value: packages, skipped };
}
