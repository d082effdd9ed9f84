import type { AgentSettings } from './appcontrol-configuration.js';
import { checkAppcontrolRule, type RefusedRule, ruleIdOf } from './appcontrol-rule.js';
import { compilePathPattern } from './path-pattern.js';

/** The rulesets of one computer, ready for decisions: hashes in maps, paths as matchers. */
export interface ExecutionPolicy {
  readonly settings: AgentSettings;
  readonly blockHashes: ReadonlyMap<string, string>;
  readonly allowHashes: ReadonlyMap<string, string>;
  readonly blockPaths: readonly PathRule[];
  readonly allowPaths: readonly PathRule[];
  readonly ruleCount: number;
  readonly refused: readonly RefusedRule[];
}

interface PathRule {
  readonly ruleId: string;
  readonly pattern: string;
  readonly matches: (path: string) => boolean;
}

/** Checks each rule (refused whole with the reason, never half-loaded) and indexes the rest. */
export function compileExecutionPolicy(settings: AgentSettings, rules: readonly unknown[]): ExecutionPolicy {
  const blockHashes = new Map<string, string>();
  const allowHashes = new Map<string, string>();
  const blockPaths: PathRule[] = [];
  const allowPaths: PathRule[] = [];
  const refused: RefusedRule[] = [];
  const seen = new Set<string>();
  let ruleCount = 0;
  for (const candidate of rules) {
    const checked = checkAppcontrolRule(candidate);
    if (!checked.ok) {
      refused.push({
        id: ruleIdOf(candidate),
        reason: checked.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
      });
      continue;
    }
    const rule = checked.rule;
    if (seen.has(rule.id)) {
      refused.push({ id: rule.id, reason: 'another rule has the same id' });
      continue;
    }
    seen.add(rule.id);
    ruleCount++;
    const hashes = rule.action === 'block' ? blockHashes : allowHashes;
    for (const h of rule.hashes ?? []) if (!hashes.has(h)) hashes.set(h, rule.id);
    const paths = rule.action === 'block' ? blockPaths : allowPaths;
    for (const p of rule.paths ?? []) {
      const compiled = compilePathPattern(p);
      if (compiled.ok) paths.push({ ruleId: rule.id, pattern: p, matches: compiled.matches });
    }
  }
  return { settings, blockHashes, allowHashes, blockPaths, allowPaths, ruleCount, refused };
}

/** What is about to run. */
export interface ExecutionSubject {
  readonly path: string;
  /** null when the file could not be hashed (unreadable, larger than the hashing limit). */
  readonly sha256: string | null;
  /** The hash is in the host's inventory (its baseline of known software). */
  readonly inInventory: boolean;
  /** The process's ancestry includes dpkg or apt. */
  readonly byPackageManager: boolean;
}

export type Verdict = 'allow' | 'block' | 'allow-and-report';

export type DecisionReason =
  | 'block-rule-hash'
  | 'block-rule-path'
  | 'allow-rule-hash'
  | 'allow-rule-path'
  | 'inventory'
  | 'maintenance'
  | 'package-manager'
  | 'unrecognized';

export interface Decision {
  readonly verdict: Verdict;
  readonly reason: DecisionReason;
  /** The ruleset that decided, for rule reasons. */
  readonly ruleId?: string;
  /** The software joins the inventory (maintenance mode, trusted package manager). */
  readonly joinInventory: boolean;
}

/** True while the maintenance window is open at `nowMs`. */
export function inMaintenance(settings: AgentSettings, nowMs: number): boolean {
  return settings.maintenanceUntilMs !== null && nowMs < settings.maintenanceUntilMs;
}

/**
 * The decision for one execution, in this order: a block rule (by hash, then path) wins over
 * everything, maintenance included; then allow rules; then the inventory; then maintenance mode
 * and trusted package managers (the software joins the inventory); else the mode decides.
 */
export function decideExecution(policy: ExecutionPolicy, subject: ExecutionSubject, nowMs: number): Decision {
  const { sha256, path } = subject;
  const byHash = sha256 === null ? undefined : policy.blockHashes.get(sha256);
  if (byHash !== undefined)
    return { verdict: 'block', reason: 'block-rule-hash', ruleId: byHash, joinInventory: false };
  const blockPath = policy.blockPaths.find((r) => r.matches(path));
  if (blockPath) return { verdict: 'block', reason: 'block-rule-path', ruleId: blockPath.ruleId, joinInventory: false };
  const allowHash = sha256 === null ? undefined : policy.allowHashes.get(sha256);
  if (allowHash !== undefined)
    return { verdict: 'allow', reason: 'allow-rule-hash', ruleId: allowHash, joinInventory: false };
  const allowPath = policy.allowPaths.find((r) => r.matches(path));
  if (allowPath) return { verdict: 'allow', reason: 'allow-rule-path', ruleId: allowPath.ruleId, joinInventory: false };
  if (subject.inInventory) return { verdict: 'allow', reason: 'inventory', joinInventory: false };
  const canJoin = sha256 !== null;
  if (inMaintenance(policy.settings, nowMs)) return { verdict: 'allow', reason: 'maintenance', joinInventory: canJoin };
  if (policy.settings.trustPackageManagers && subject.byPackageManager)
    return { verdict: 'allow', reason: 'package-manager', joinInventory: canJoin };
  return {
    verdict: policy.settings.mode === 'block-unrecognized' ? 'block' : 'allow-and-report',
    reason: 'unrecognized',
    joinInventory: false,
  };
}
