import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { managerModules } from '../modules/registry.js';
import { createServices } from '../services/index.js';
import { SYSTEM_ACTOR } from '../services/roles.js';
import { openDatabase, type Store } from '../storage/index.js';
import type { CreateApiKeyCommand } from './manager-arguments.js';

export interface OfflineIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** The SQLite file a manager keeps in its data folder. */
export const STORE_FILE = 'manager.db';

/** A database URL fit to print: the password replaced by a placeholder the reader fills in. */
export function printableDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = 'PASSWORD';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

/** The command that makes an API key against the store a manager runs on (printed at first start). */
export function createApiKeyCommandLine(dataDir: string, databaseUrl: string | undefined): string {
  const where =
    databaseUrl === undefined
      ? `--data-dir ${resolve(dataDir)}`
      : `--database-url ${printableDatabaseUrl(databaseUrl)}`;
  return `bulwark-manager create-api-key --role administrator ${where}`;
}

/**
 * `bulwark-manager create-api-key`: makes an API key directly in the store. It never creates a
 * store: a key written to a folder or database no manager uses would be refused by the running
 * manager with nothing to say why, so a missing store is an error that names where it looked.
 */
export async function createApiKeyOffline(options: CreateApiKeyCommand, io: OfflineIo): Promise<number> {
  const refuse = (message: string, hint: string) => {
    io.stderr.write(`bulwark-manager: ${message}\n  ${hint}\n`);
    return 1;
  };
  const hint =
    'Point at the store the manager runs on: --data-dir DIR (the folder its banner prints as "data"; `npm start` uses .bulwark-data/manager in the checkout), ' +
    'or --database-url postgres://… when it runs on PostgreSQL. BULWARK_DATA_DIR and BULWARK_DATABASE_URL set the same for both.';
  if (options.databaseUrl === undefined) {
    const folder = resolve(options.dataDir);
    if (!existsSync(join(folder, STORE_FILE))) {
      return refuse(`no manager store in ${folder} (no ${STORE_FILE} there); no key was created`, hint);
    }
  }
  let store: Store;
  try {
    store = await openDatabase(
      options.databaseUrl === undefined ? { dataDir: options.dataDir } : { url: options.databaseUrl },
      { migrate: false },
    );
  } catch (error) {
    return refuse(`cannot open the store: ${(error as Error).message}`, hint);
  }
  try {
    // Asked the way the manager will ask (its search path on PostgreSQL), not by listing every schema.
    const hasStore = await store.db
      .selectFrom('api_keys')
      .select('id')
      .limit(1)
      .execute()
      .then(
        () => true,
        () => false,
      );
    if (!hasStore) {
      const where =
        options.databaseUrl === undefined
          ? resolve(options.dataDir, STORE_FILE)
          : printableDatabaseUrl(options.databaseUrl);
      return refuse(`${where} holds no manager store (no api_keys table); no key was created`, hint);
    }
    const services = createServices({ db: store.db, modules: managerModules });
    const created = await services.apiKeys.create({ name: options.name, role: options.role }, SYSTEM_ACTOR);
    if (!created.ok) return refuse(created.error.message, 'No key was created.');
    const { apiKey, key } = created.value;
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ id: apiKey.id, name: apiKey.name, role: apiKey.role, key })}\n`);
    } else {
      io.stdout.write(
        `API key "${apiKey.name}" (${apiKey.role}), shown only this once:\n\n  ${key}\n\nUse it as: Authorization: Bearer <key>, or BULWARK_API_KEY=<key> bulwark …\n`,
      );
    }
    return 0;
  } catch (error) {
    return refuse(`cannot create the key: ${(error as Error).message}`, hint);
  } finally {
    await store.close();
  }
}
