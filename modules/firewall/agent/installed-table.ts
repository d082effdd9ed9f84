import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentModuleContext } from '@bulwark/protocol';

/**
 * Which nft table this firewall put on the host, in `<module data dir>/installed-table.json`,
 * written before the table is loaded and removed once the table is gone. Deactivation may run in
 * another process than the one that loaded the table (`bulwark-agent deactivate` with the daemon
 * stopped): this file is how it knows there is a table of ours to remove, and that a table of
 * the same name it did not load is not its to remove.
 */
const FILE = 'installed-table.json';

export function readInstalledTable(dataDir: string): string | null {
  try {
    const { table } = JSON.parse(readFileSync(join(dataDir, FILE), 'utf8')) as { table?: unknown };
    return typeof table === 'string' && /^[A-Za-z0-9_]{1,32}$/.test(table) ? table : null;
  } catch {
    return null;
  }
}

/** Returns the error text instead of throwing: the caller decides (loading the table goes on). */
export function recordInstalledTable(
  context: Pick<AgentModuleContext, 'writeStateFile'>,
  table: string,
): string | undefined {
  try {
    context.writeStateFile(FILE, `${JSON.stringify({ table })}\n`);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export function forgetInstalledTable(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}
