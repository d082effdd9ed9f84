import type { InstalledPackage } from '@bulwark/protocol';
import { clip, lines, type Parsed } from './parsed.js';

/**
 * /var/lib/dpkg/status: paragraphs of "Field: value" separated by blank lines, continuation lines
 * starting with a space. Only packages whose Status ends in "installed" are reported; a paragraph
 * without Package or Version, or a line that is neither a field nor a continuation, is skipped.
 */
export function parseDpkgStatus(text: string): Parsed<InstalledPackage[]> {
  const packages: InstalledPackage[] = [];
  let skipped = 0;
  let fields = new Map<string, string>();
  let hasContent = false;

  const endParagraph = () => {
    if (!hasContent) return;
    const name = fields.get('package');
    const version = fields.get('version');
    const status = fields.get('status');
    if (!name || !version || !/^[a-z0-9][a-z0-9+.-]*$/.test(name)) skipped++;
    else if (status?.split(/\s+/)[2] === 'installed') {
      const architecture = fields.get('architecture');
      packages.push({
        name: clip(name, 256),
        version: clip(version, 256),
        ...(architecture ? { architecture: clip(architecture, 64) } : {}),
        manager: 'dpkg',
      });
    }
    fields = new Map();
    hasContent = false;
  };

  for (const line of lines(text)) {
    if (line.trim() === '') {
      endParagraph();
      continue;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!hasContent) skipped++;
      continue; // Continuation of a multi-line field (Description, Conffiles): not reported.
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      skipped++;
      continue;
    }
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    hasContent = true;
  }
  endParagraph();
  return { value: packages, skipped };
}
