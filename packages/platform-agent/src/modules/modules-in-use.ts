import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bulwark/host-files';
import type { AgentLogger } from '../log/json-logger.js';

const FILE = 'modules-in-use.json';

/**
 * The modules that may have left something in force on this host: turned on since they last
 * switched off cleanly. The runtime loads a module that the configuration has off only when it is
 * in this set, so that it can take back what it installed (an nftables table, NFQUEUE steering, a
 * device held) even across a restart; any other module that is off is never loaded.
 *
 * Kept in `<data dir>/modules-in-use.json`. Without that file (an agent from before it existed
 * made every module it was told of), every module with a data directory counts as in use.
 */
export class ModulesInUse {
  readonly #path: string;
  readonly #log: AgentLogger;
  readonly #ids: Set<string>;

  constructor(dataDir: string, log: AgentLogger) {
    this.#path = join(dataDir, FILE);
    this.#log = log;
    this.#ids = this.#read(dataDir);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    if (this.#ids.has(id)) return;
    this.#ids.add(id);
    this.#write();
  }

  delete(id: string): void {
    if (this.#ids.delete(id)) this.#write();
  }

  #read(dataDir: string): Set<string> {
    try {
      const parsed = JSON.parse(readFileSync(this.#path, 'utf8')) as { modules?: unknown };
      if (Array.isArray(parsed.modules) && parsed.modules.every((m) => typeof m === 'string'))
        return new Set(parsed.modules);
      this.#log.warn('modules in use: the record is malformed; every module with a data directory counts', {
        path: this.#path,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.#log.warn('modules in use: the record cannot be read; every module with a data directory counts', {
          path: this.#path,
          error: (error as Error).message,
        });
    }
    const modulesDir = join(dataDir, 'modules');
    return new Set(existsSync(modulesDir) ? readdirSync(modulesDir) : []);
  }

  #write(): void {
    try {
      writeFileAtomic(this.#path, `${JSON.stringify({ modules: [...this.#ids].sort() })}\n`, 0o600);
    } catch (error) {
      // The set in memory stays right for this process; after a restart a module off that left
      // something would not be loaded to take it back, so this is an error, not a warning.
      this.#log.error('modules in use: the record was not saved', {
        path: this.#path,
        error: (error as Error).message,
      });
    }
  }
}
