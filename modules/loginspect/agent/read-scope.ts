import { readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, normalize } from 'node:path';
import type { LocalOptions } from '@bulwark/protocol';
import { hasWildcard } from './path-glob.js';

/** The local option a host's administrator sets to let the manager's file sources read more than the usual log places. */
export const READ_PATHS_OPTION = 'loginspect.readPaths';

/**
 * Where the manager's file sources may read without the host's opt-in: the usual log places.
 * The agent reads as root, so anything wider would let a manager account ship /etc/shadow.
 */
export const DEFAULT_READ_ROOTS: readonly string[] = ['/var/log'];

/**
 * Which files the manager's file sources may read on this host: those under the default roots or
 * under a root the host's administrator listed in the local options. Checked twice: the configured
 * path or glob (`..` and symbolic links of its fixed part resolved), and each file as opened (the
 * kernel's own name for the open descriptor), so that a link under /var/log to /etc/shadow, or a
 * directory link on the way, is refused whatever the pattern looked like.
 */
export class ReadScope {
  readonly #roots: readonly string[];
  readonly #local: LocalOptions | undefined;
  readonly #problems: string[] = [];

  constructor(defaults: readonly string[], local: LocalOptions | undefined) {
    this.#local = local;
    const listed = (local?.get(READ_PATHS_OPTION) ?? '')
      .split(/[\s,]+/)
      .map((p) => p.trim())
      .filter((p) => p !== '');
    const roots: string[] = [];
    for (const root of [...defaults, ...listed]) {
      if (!isAbsolute(root)) {
        this.#problems.push(`${READ_PATHS_OPTION}: "${root}" is not an absolute path, ignored`);
        continue;
      }
      roots.push(resolved(normalize(root)));
    }
    this.#roots = roots;
  }

  /** What is wrong with the local option, for the module status. */
  get problems(): readonly string[] {
    return this.#problems;
  }

  /** Why the configured path or glob may not be read here, or undefined when it may. */
  refusesPattern(pattern: string): string | undefined {
    const clean = normalize(pattern);
    const parts = clean.split('/');
    const firstWild = parts.findIndex((p) => hasWildcard(p));
    const fixed = firstWild < 0 ? clean : parts.slice(0, firstWild).join('/') || '/';
    const real = resolved(fixed);
    return this.#inside(real) ? undefined : this.#refusal(real === pattern ? undefined : real);
  }

  /** Why the open file may not be read, or undefined when it may; `path` is the name it was opened by. */
  refusesOpened(fd: number, path: string): string | undefined {
    let real: string;
    try {
      real = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      real = resolved(path);
    }
    return this.#inside(real) ? undefined : this.#refusal(real === path ? undefined : real);
  }

  #inside(real: string): boolean {
    return this.#roots.some((root) => real === root || real.startsWith(root === '/' ? '/' : `${root}/`));
  }

  /** Short: the status has room for 1,024 characters and there may be several. */
  #refusal(real: string | undefined): string {
    const file = this.#local?.source ?? '/etc/bulwark/agent.conf';
    return `refused: ${real ? `it is ${real}, ` : ''}outside where the manager may read; the host allows more with "${READ_PATHS_OPTION} = DIR" in ${file}`;
  }
}

/** The path with every symbolic link resolved, as far as it exists; the rest is kept as written. */
function resolved(path: string): string {
  let head = path;
  let tail = '';
  for (;;) {
    try {
      const real = realpathSync(head);
      return tail === '' ? real : `${real === '/' ? '' : real}${tail}`;
    } catch {
      const parent = dirname(head);
      if (parent === head) return path;
      tail = `${head.slice(parent === '/' ? 0 : parent.length)}${tail}`;
      head = parent;
    }
  }
}
