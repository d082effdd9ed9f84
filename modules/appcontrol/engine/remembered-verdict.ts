import type { AgentSettings } from './appcontrol-configuration.js';
import type { Decision, ExecutionPolicy } from './execution-policy.js';

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

/** Owner and mode of a file, as fstat of the event's descriptor gave them. */
export interface FileOwnership {
  readonly uid: number;
  readonly mode: number;
}

/**
 * Whether the kernel itself may allow this file, by any path, until it is written (an inode ignore
 * mark: no event, the process is never held). Only when the decision depends on the content alone
 * (in the inventory or allowed by hash) and no block rule names a path (a hard link or a bind
 * mount would give the inode another path). And only for a file that only root can change: the
 * kernel clears the mark on write(), not on a write through a shared writable mapping, and not on
 * chmod or chown; a file owned by root and not writable by group or others can be changed in
 * those ways by root alone, who can stop the agent anyway.
 */
export function ignorableUntilModified(decision: Decision, policy: ExecutionPolicy, file: FileOwnership): boolean {
  if (decision.joinInventory || (decision.reason !== 'inventory' && decision.reason !== 'allow-rule-hash'))
    return false;
  if (policy.blockPaths.length > 0) return false;
  return file.uid === 0 && (file.mode & 0o022) === 0;
}
