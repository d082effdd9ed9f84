import type { AssignedRule } from '@bulwark/protocol';
import type { Executor } from './context.js';
import type { Catalogue } from './rules-catalogue.js';

export type RuleTargetKind = 'policy' | 'computer';

/** A policy or computer that assigns a rule, or overrides its properties. */
export interface RuleSource {
  readonly kind: RuleTargetKind;
  readonly id: string;
  readonly name: string;
}

/** A rule in force at a computer (or policy): where it is assigned and its properties after overrides. */
export interface EffectiveRule {
  readonly module: string;
  readonly id: string;
  readonly builtIn: boolean;
  readonly definition: Readonly<Record<string, unknown>>;
  /** Merged root → leaf; the computer's own override wins. */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** Every level that assigns it directly, root → leaf. */
  readonly assignedAt: readonly RuleSource[];
}

const key = (kind: RuleTargetKind, id: string) => `${kind}:${id}`;

/** Stored assignments and overrides, by target, then module, then rule id. */
export interface RuleData {
  readonly assignments: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>;
  readonly overrides: ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, Record<string, unknown>>>>;
}

/** Assignments and overrides of every policy, and of the given computers. */
export async function loadRuleData(db: Executor, computerIds: readonly string[]): Promise<RuleData> {
  const assignments = new Map<string, Map<string, Set<string>>>();
  const overrides = new Map<string, Map<string, Map<string, Record<string, unknown>>>>();
  const parts: (readonly string[])[] = [];
  for (let i = 0; i < computerIds.length; i += 500) parts.push(computerIds.slice(i, i + 500));
  for (const part of [null, ...parts]) {
    const kind: RuleTargetKind = part === null ? 'policy' : 'computer';
    let assigned = db.selectFrom('rule_assignments').selectAll().where('target_kind', '=', kind);
    let overridden = db.selectFrom('rule_overrides').selectAll().where('target_kind', '=', kind);
    if (part !== null) {
      assigned = assigned.where('target_id', 'in', part);
      overridden = overridden.where('target_id', 'in', part);
    }
    for (const row of await assigned.execute()) {
      const byModule = assignments.get(key(kind, row.target_id)) ?? new Map<string, Set<string>>();
      const ids = byModule.get(row.module) ?? new Set<string>();
      ids.add(row.rule_id);
      byModule.set(row.module, ids);
      assignments.set(key(kind, row.target_id), byModule);
    }
    for (const row of await overridden.execute()) {
      const byModule =
        overrides.get(key(kind, row.target_id)) ?? new Map<string, Map<string, Record<string, unknown>>>();
      const byRule = byModule.get(row.module) ?? new Map<string, Record<string, unknown>>();
      byRule.set(row.rule_id, JSON.parse(row.overrides_json) as Record<string, unknown>);
      byModule.set(row.module, byRule);
      overrides.set(key(kind, row.target_id), byModule);
    }
  }
  return { assignments, overrides };
}

export function assignedAt(
  data: RuleData,
  target: { kind: RuleTargetKind; id: string },
  module: string,
): ReadonlySet<string> {
  return data.assignments.get(key(target.kind, target.id))?.get(module) ?? new Set();
}

/** The property overrides stored at one level for one module, by rule id. */
export function overridesAt(
  data: RuleData,
  target: { kind: RuleTargetKind; id: string },
  module: string,
): ReadonlyMap<string, Record<string, unknown>> {
  return data.overrides.get(key(target.kind, target.id))?.get(module) ?? new Map();
}

/**
 * The union of the rules assigned along `layers` (root policy → … → policy → computer), each with
 * its overrides merged in the same order. Rules no longer in the catalogue (a deleted custom rule,
 * a built-in dropped by an upgrade) are left out. Sorted by module, then rule id, so the compiled
 * configuration (hashed into its version) does not depend on storage order.
 */
export function resolveEffectiveRules(
  layers: readonly RuleSource[],
  data: RuleData,
  catalogue: Catalogue,
  onlyModule?: string,
): EffectiveRule[] {
  const out: EffectiveRule[] = [];
  const modules = [...catalogue.keys()].filter((m) => onlyModule === undefined || m === onlyModule).sort();
  for (const module of modules) {
    const rules = catalogue.get(module);
    if (!rules) continue;
    const sources = new Map<string, RuleSource[]>();
    for (const layer of layers) {
      for (const ruleId of assignedAt(data, layer, module)) {
        const list = sources.get(ruleId) ?? [];
        list.push(layer);
        sources.set(ruleId, list);
      }
    }
    for (const ruleId of [...sources.keys()].sort()) {
      const rule = rules.get(ruleId);
      if (!rule) continue;
      const overrides: Record<string, unknown> = {};
      for (const layer of layers) {
        Object.assign(overrides, data.overrides.get(key(layer.kind, layer.id))?.get(module)?.get(ruleId) ?? {});
      }
      out.push({
        module,
        id: ruleId,
        builtIn: rule.builtIn,
        definition: rule.definition,
        overrides,
        assignedAt: sources.get(ruleId) ?? [],
      });
    }
  }
  return out;
}

/** The `rules` each module's compile receives. */
export function assignedRulesByModule(rules: readonly EffectiveRule[]): Map<string, AssignedRule[]> {
  const out = new Map<string, AssignedRule[]>();
  for (const rule of rules) {
    const list = out.get(rule.module) ?? [];
    list.push({ id: rule.id, definition: rule.definition, overrides: rule.overrides });
    out.set(rule.module, list);
  }
  return out;
}
