import { readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { parseOsRelease } from '@bulwark/module-inventory/engine';

export const AGENT_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** e.g. "Debian GNU/Linux 12 (bookworm) (x64)", shown on the computer's page. */
export function hostPlatform(): string {
  let name = 'Linux';
  try {
    const os = parseOsRelease(readFileSync('/etc/os-release', 'utf8')).value;
    name = os.prettyName ?? os.name;
  } catch {
    // No os-release (containers, minimal systems): the kernel name is all we know.
  }
  return `${name} (${arch()})`.slice(0, 256);
}
