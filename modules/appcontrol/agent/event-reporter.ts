import type { AgentModuleContext } from '@bulwark/protocol';
import type { InventoryChange, InventoryEntry } from '../engine/index.js';
import type { JudgedExecution } from './enforcer.js';
import type { InventoryWalk } from './inventory-walker.js';
import { type ProcessDetails, processDetails, readUserNames } from './process-facts.js';

/** The same software at the same path with the same verdict is reported once per interval. */
export const REPORT_INTERVAL_MS = 60_000;
/** Software changes one inventory rebuild reports one by one; the rest are counted in one event. */
export const MAX_CHANGE_EVENTS = 100;

function softwareRuleId(sha256: string | null): string | undefined {
  return sha256 === null ? undefined : `appcontrol.sha256.${sha256}`;
}

/**
 * Turns decisions and inventory changes into events: execution blocked, unrecognized software
 * allowed, software changed. Repeats within REPORT_INTERVAL_MS are counted, not sent, and the
 * next report says how many there were.
 */
export class EventReporter {
  readonly #context: AgentModuleContext;
  readonly #last = new Map<string, { at: number; repeats: number }>();
  #userName = readUserNames();
  #suppressed = 0;

  /** uid → user name, from /etc/passwd as read at the last inventory build. */
  readonly userName = (uid: number): string | null => this.#userName(uid);

  constructor(context: AgentModuleContext) {
    this.#context = context;
  }

  counters(): { reportsSuppressed: number } {
    return { reportsSuppressed: this.#suppressed };
  }

  execution(x: JudgedExecution): void {
    const { verdict, reason, ruleId } = x.decision;
    if (verdict === 'allow') return;
    const key = `${verdict}:${x.facts.sha256}:${x.path}`;
    const now = Date.now();
    const last = this.#last.get(key);
    if (last !== undefined && now - last.at < REPORT_INTERVAL_MS) {
      last.repeats++;
      this.#suppressed++;
      return;
    }
    if (this.#last.size > 10_000) this.#last.clear();
    this.#last.set(key, { at: now, repeats: 0 });
    const who = x.who ?? processDetails(x.pid, this.#userName);
    const blocked = verdict === 'block';
    const why =
      reason === 'unrecognized' ? 'not in the inventory and allowed by no ruleset' : `ruleset ${ruleId ?? '?'}`;
    this.#context.emit({
      module: 'appcontrol',
      type: blocked ? 'execution-blocked' : 'unrecognized-allowed',
      severity: blocked ? 'high' : 'medium',
      ...(ruleId !== undefined || x.facts.sha256 !== null ? { ruleId: softwareRuleId(x.facts.sha256) ?? ruleId } : {}),
      action: blocked ? 'Block' : 'Detect Only: Block',
      summary: `${blocked ? 'Blocked' : 'Allowed unrecognized'} ${x.path} (${why})${who.user ? ` run by ${who.user}` : ''}`,
      details: {
        path: x.path,
        sha256: x.facts.sha256,
        size: x.facts.size,
        kind: x.facts.kind,
        via: x.via,
        reason,
        ...(ruleId === undefined ? {} : { ruleset: ruleId }),
        ...who,
        ...(last !== undefined && last.repeats > 0 ? { repeatsSinceLastReport: last.repeats } : {}),
      },
    });
  }

  /** New software joined the inventory (maintenance mode, package manager). */
  joined(entry: InventoryEntry, reason: string, pid: number, known?: ProcessDetails | null): void {
    const who = known ?? processDetails(pid, this.#userName);
    this.#context.emit({
      module: 'appcontrol',
      type: 'software-changed',
      severity: 'low',
      ruleId: softwareRuleId(entry.sha256),
      action: 'Log',
      summary: `${entry.path} joined the inventory (${reason === 'maintenance' ? 'maintenance mode' : 'package manager'})`,
      details: { ...entry, change: 'joined-inventory', reason, ...who },
    });
  }

  /** An executable was written that is not in the inventory (outside maintenance). */
  unrecognizedWrite(entry: InventoryEntry, pid: number): void {
    const who = processDetails(pid, this.#userName);
    this.#context.emit({
      module: 'appcontrol',
      type: 'software-changed',
      severity: 'medium',
      ruleId: softwareRuleId(entry.sha256),
      action: 'Log',
      summary: `New or changed executable ${entry.path}, not in the inventory`,
      details: { ...entry, change: 'written', ...who },
    });
  }

  inventoryChanges(changes: readonly InventoryChange[]): void {
    for (const c of changes.slice(0, MAX_CHANGE_EVENTS)) {
      this.#context.emit({
        module: 'appcontrol',
        type: 'software-changed',
        severity: c.change === 'removed' ? 'info' : 'low',
        ruleId: softwareRuleId(c.sha256),
        action: 'Log',
        summary: `Executable ${c.change}: ${c.path}`,
        details: { ...c },
      });
    }
    if (changes.length > MAX_CHANGE_EVENTS)
      this.#context.emit({
        module: 'appcontrol',
        type: 'software-changed',
        severity: 'low',
        action: 'Log',
        summary: `${changes.length - MAX_CHANGE_EVENTS} more executables changed (not listed one by one)`,
        details: { more: changes.length - MAX_CHANGE_EVENTS },
      });
  }

  inventoryBuilt(why: string, walk: InventoryWalk): void {
    this.#userName = readUserNames();
    this.#context.emit({
      module: 'appcontrol',
      type: 'inventory-built',
      severity: walk.counts.unstable + walk.counts.unreadable > 0 || walk.truncated ? 'low' : 'info',
      action: 'Log',
      summary: `Software inventory ${why}: ${walk.entries.size} executables in ${walk.counts.files} files`,
      details: { ...walk.counts, problems: walk.problems, truncated: walk.truncated },
    });
  }
}
