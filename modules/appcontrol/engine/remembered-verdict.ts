import type { AgentSettings } from './appcontrol-configuration.js';
import type { Decision } from './execution-policy.js';

/**
 * What the kernel package may answer by itself the next time the same file (same inode, size,
 * mtime, ctime, at the same path) is run: only decisions that depend on nothing but the file and
 * its path. An allow by the inventory or an allow rule, and a block by a block rule, hold until
 * the rules or the inventory change (the module clears them then). An unrecognized file's
 * decision also depends on who runs it when package managers are trusted (dpkg running it makes
 * it join), and a maintenance or package-manager allow is a join the agent must see: those are
 * never remembered. notify: the agent still hears of each use after the answer (to report it).
 */
export interface RememberedVerdict {
  readonly response: 'allow' | 'deny';
  readonly notify: boolean;
}

export function rememberedVerdict(decision: Decision, settings: AgentSettings): RememberedVerdict | null {
  if (decision.joinInventory) return null;
  switch (decision.reason) {
    case 'inventory':
    case 'allow-rule-hash':
    case 'allow-rule-path':
    case 'block-rule-hash':
    case 'block-rule-path':
      break;
    case 'unrecognized':
      if (settings.trustPackageManagers) return null;
      break;
    default:
      return null;
  }
  return { response: decision.verdict === 'block' ? 'deny' : 'allow', notify: decision.verdict !== 'allow' };
}
