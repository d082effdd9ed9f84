import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentModuleContext } from '@bulwark/protocol';

/**
 * A module context for unit tests: quiet, and with a plain writeFileSync for state files (the
 * platform agent's atomic writer is its own package's to test; a module may not depend on it).
 */
export function unitContext(dataDir: string, overrides: Partial<AgentModuleContext> = {}): AgentModuleContext {
  return {
    dataDir,
    log: { info() {}, warn() {}, error() {} },
    emit() {},
    reportInventory() {},
    writeStateFile: (name, content) => writeFileSync(join(dataDir, name), content, { mode: 0o600 }),
    ...overrides,
  };
}
