import { readFileSync } from 'node:fs';
import { arch } from 'node:os';

export const AGENT_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** The headers of every call to the manager: the agent answers JSON and names itself. */
export const AGENT_REQUEST_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/json',
  'user-agent': 'bulwark-agent',
};

/** e.g. "Debian GNU/Linux 12 (bookworm) (x64)", shown on the computer's page. */
export function hostPlatform(): string {
  let name: string | undefined;
  try {
    name = osReleaseName(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    // No os-release (containers, minimal systems): the kernel name is all we know.
  }
  return `${name ?? 'Linux'} (${arch()})`.slice(0, 256);
}

/**
 * PRETTY_NAME, else NAME, of an os-release(5) text. Only this one label is needed here; the
 * inventory module parses the whole file for the manager's inventory.
 */
export function osReleaseName(text: string): string | undefined {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(PRETTY_NAME|NAME)=(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"'`$\\]*))\s*$/.exec(line.trim());
    if (match?.[1]) values.set(match[1], (match[2]?.replace(/\\(.)/g, '$1') ?? match[3] ?? match[4] ?? '').trim());
  }
  return values.get('PRETTY_NAME') || values.get('NAME') || undefined;
}
