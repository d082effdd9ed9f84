import type { NewEvent } from '@bulwark/protocol';
import {
  type Change,
  type ChangeSource,
  type CompiledRule,
  changeEvent,
  diffBaseline,
  type EntityFilter,
  type Entry,
  entityFilter,
  type FilesEntitySet,
  isWithin,
  MODULE_ID,
} from '../engine/index.js';
import type { BaselineStore } from './baseline-store.js';
import { deletionScope, emptyObservation, type FileObservation, walkFiles } from './file-walker.js';
import type { HashPool } from './hash-pool.js';
import { collectHostEntities } from './host-collectors.js';

/** A rule ready to run: compiled rule, its version, and its include/exclude decisions. */
export interface ActiveRule {
  readonly rule: CompiledRule;
  readonly hash: string;
  readonly filter: EntityFilter;
}

export function activeRule(rule: CompiledRule, hash: string, exclusions: readonly string[]): ActiveRule {
  return { rule, hash, filter: entityFilter(rule, exclusions) };
}

export function isFileRule(rule: CompiledRule): rule is CompiledRule & { entity: FilesEntitySet } {
  return rule.entity.kind === 'files';
}

export interface RuleScanResult {
  readonly ruleId: string;
  readonly entries: number;
  readonly changes: number;
  readonly hashed: number;
  readonly reused: number;
  readonly bytes: number;
  readonly skips: Readonly<Record<string, number>>;
  readonly unavailable?: string;
  readonly directories: readonly string[];
}

export interface ScanDependencies {
  readonly store: BaselineStore;
  readonly pool: HashPool;
  readonly maxEntriesPerRule: number;
  readonly trustUnchangedMetadata: boolean;
  readonly emit: (event: NewEvent) => void;
  readonly now: () => Date;
}

/** Beyond this many changes in one rule and one pass, the rest is summarised in one event. */
const MAX_EVENTS_PER_RULE_PASS = 1000;

interface Observation {
  readonly entries: Map<string, Entry>;
  readonly mayDelete: (key: string) => boolean;
  readonly file?: FileObservation;
  readonly unavailable?: string;
  readonly skippedLines: number;
}

async function observe(
  active: ActiveRule,
  deps: ScanDependencies,
  previous: ReadonlyMap<string, Entry> | undefined,
  scopes?: readonly string[],
): Promise<Observation> {
  const { rule } = active;
  if (isFileRule(rule)) {
    const merged = emptyObservation();
    for (const scope of scopes ?? [undefined]) {
      const o = await walkFiles(rule, {
        filter: active.filter,
        pool: deps.pool,
        ...(scope !== undefined ? { scope } : {}),
        ...(previous ? { previous } : {}),
        maxEntries: deps.maxEntriesPerRule,
        urgent: scopes !== undefined,
      });
      for (const [k, v] of o.entries) merged.entries.set(k, v);
      for (const k of o.skippedKeys) merged.skippedKeys.add(k);
      merged.skippedDirectories.push(...o.skippedDirectories);
      merged.directories.push(...o.directories);
      for (const [reason, n] of Object.entries(o.skips))
        merged.skips[reason as keyof typeof o.skips] = (merged.skips[reason as keyof typeof o.skips] ?? 0) + (n ?? 0);
      merged.hashed += o.hashed;
      merged.reused += o.reused;
      merged.bytes += o.bytes;
    }
    const allowed = deletionScope(merged, undefined);
    const inScope = (key: string) => scopes === undefined || scopes.some((s) => isWithin(key, s));
    return { entries: merged.entries, mayDelete: (k) => inScope(k) && allowed(k), file: merged, skippedLines: 0 };
  }
  const host = await collectHostEntities(rule, active.filter);
  // When the host cannot say (no systemctl), nothing is reported deleted.
  return {
    entries: host.entries,
    mayDelete: () => host.unavailable === undefined,
    ...(host.unavailable ? { unavailable: host.unavailable } : {}),
    skippedLines: host.skippedLines,
  };
}

function result(active: ActiveRule, o: Observation, changes: number, entries: number): RuleScanResult {
  const skips: Record<string, number> = { ...(o.file?.skips ?? {}) };
  if (o.skippedLines > 0) skips['unreadable-line'] = o.skippedLines;
  return {
    ruleId: active.rule.id,
    entries,
    changes,
    hashed: o.file?.hashed ?? 0,
    reused: o.file?.reused ?? 0,
    bytes: o.file?.bytes ?? 0,
    skips,
    ...(o.unavailable ? { unavailable: o.unavailable } : {}),
    directories: o.file?.directories ?? [],
  };
}

/** Builds (or rebuilds) a rule's baseline silently: no change events. */
export async function buildBaseline(active: ActiveRule, deps: ScanDependencies): Promise<RuleScanResult> {
  const o = await observe(active, deps, undefined);
  deps.store.replace(active.rule.id, active.hash, o.entries.values(), deps.now());
  if (o.file) deps.store.replaceDirectories(active.rule.id, o.file.directories);
  return result(active, o, 0, o.entries.size);
}

function emitChanges(
  active: ActiveRule,
  changes: readonly Change[],
  source: ChangeSource,
  deps: ScanDependencies,
): void {
  const now = deps.now();
  for (const change of changes.slice(0, MAX_EVENTS_PER_RULE_PASS))
    deps.emit(changeEvent(active.rule, change, source, now));
  if (changes.length > MAX_EVENTS_PER_RULE_PASS) {
    const rest = changes.length - MAX_EVENTS_PER_RULE_PASS;
    deps.emit({
      module: MODULE_ID,
      type: 'changes-truncated',
      severity: active.rule.severity,
      ruleId: active.rule.id,
      action: 'Log',
      summary: `${rest} more changes under ${active.rule.name} were recorded in the baseline but not sent one by one`,
      details: { rule: { id: active.rule.id, name: active.rule.name }, omitted: rest, source },
      time: now.toISOString(),
    });
  }
}

function sameAttributes(a: Entry, b: Entry): boolean {
  const keys = Object.keys(b.attributes);
  if (Object.keys(a.attributes).length !== keys.length) return false;
  return keys.every((k) => a.attributes[k] === b.attributes[k]);
}

/**
 * Drops the keys at or under any of `scopes` from each map. Walks each key's ancestors rather
 * than every scope for every key, so a burst of real-time checks during a scan of 100,000 files
 * stays linear.
 */
function dropWithin(scopes: ReadonlySet<string>, ...maps: Map<string, unknown>[]): void {
  if (scopes.size === 0) return;
  const covered = (key: string): boolean => {
    if (scopes.has('/') || scopes.has(key)) return true;
    for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1))
      if (scopes.has(key.slice(0, i))) return true;
    return false;
  };
  for (const map of maps) for (const key of map.keys()) if (covered(key)) map.delete(key);
}

/**
 * Compares a rule (or, with `scopes`, the paths under them) with its baseline, emits one event
 * per change, and makes what was seen the new baseline. Keys that could not be looked at keep
 * their old baseline entry.
 *
 * `checkedMeanwhile` (a scan only) names the paths real-time checks looked at while this scan
 * walked: those checks already compared them with the baseline, reported them and stored what
 * they saw, so the scan leaves them alone. Otherwise the scan would report the same change a
 * second time (its baseline was read before the check) or write back an older observation.
 * It is read after the walk, and the comparison and the write that follow are synchronous, so
 * no check can slip in between.
 */
export async function scanRule(
  active: ActiveRule,
  deps: ScanDependencies,
  source: ChangeSource,
  scopes?: readonly string[],
  checkedMeanwhile?: () => ReadonlySet<string>,
): Promise<RuleScanResult> {
  const id = active.rule.id;
  let baseline: Map<string, Entry>;
  if (scopes === undefined) baseline = deps.store.load(id);
  else {
    baseline = new Map();
    for (const s of scopes) for (const [k, v] of deps.store.load(id, s)) baseline.set(k, v);
  }
  const o = await observe(
    active,
    deps,
    deps.trustUnchangedMetadata && source !== 'real-time' ? baseline : undefined,
    scopes,
  );
  if (checkedMeanwhile) dropWithin(checkedMeanwhile(), baseline, o.entries);
  const changes = diffBaseline(baseline, o.entries, active.rule.attributes, o.mayDelete);
  emitChanges(active, changes, source, deps);
  const deletions = [...baseline.keys()].filter((k) => !o.entries.has(k) && o.mayDelete(k));
  // Only what differs is written: rewriting 100,000 unchanged rows made every scan's commit a
  // synchronous stall of seconds, during which real-time events waited too.
  const upserts = [...o.entries.values()].filter((e) => {
    const before = baseline.get(e.key);
    return before === undefined || !sameAttributes(before, e);
  });
  deps.store.update(id, upserts, deletions);
  if (o.file && scopes === undefined) deps.store.replaceDirectories(id, o.file.directories);
  return result(active, o, changes.length, o.entries.size);
}
