import type { AssignedRule } from '@bulwark/protocol';
import { recordAudit } from './audit.js';
import { type ConfigurationService, serialiseConfigurationChanges } from './configuration.js';
import { inTransaction, type ServiceContext } from './context.js';
import type { InventoryService } from './inventory.js';
import { loadPolicies } from './policy-tree.js';
import { abort, guarded, type Result } from './result.js';
import type { Actor } from './roles.js';
import { loadCatalogue } from './rules-catalogue.js';
import { problemsInForce } from './rules-check.js';
import {
  type EffectiveRule,
  loadRuleData,
  overridesAt,
  type RuleData,
  type RuleSource,
  resolveEffectiveRules,
} from './rules-effective.js';
import { targetLayers } from './rules-targets.js';
import { iso } from './time.js';

/** Rule ids by module id. */
export type RuleIdsByModule = Record<string, string[]>;

export interface RecommendationScan {
  readonly computerId: string;
  readonly scannedAt: string;
  /** The inventory the scan read. */
  readonly inventoryDigest: string;
  /** What the modules propose for this host (rules they name that are not in their catalogue are dropped). */
  readonly recommended: RuleIdsByModule;
  /** Assigned at the computer by this scan (auto-apply). */
  readonly applied: RuleIdsByModule;
  /** Recommended but excluded from recommendations, so never auto-applied. */
  readonly excluded: RuleIdsByModule;
}

/**
 * Recommended rules auto-apply left out, and why: the module could not enforce them on this
 * computer, or assigning them would narrow what the host lets through (the module's
 * `autoApplyRefusals`); they stay proposed, for an administrator to assign.
 */
export type NotApplied = Record<string, { id: string; reason: string }[]>;

export interface ScanOptions {
  /** Assign (at the computer) the recommended rules that are not excluded and not already in force. */
  readonly autoApply?: boolean;
}

export function recommendationsService(
  ctx: ServiceContext,
  configuration: ConfigurationService,
  inventory: InventoryService,
) {
  /**
   * Runs every module's `recommend` on the computer's last inventory and stores the result.
   * Auto-apply writes computer-level assignments in the same transaction as the result.
   */
  async function scan(
    computerId: string,
    options: ScanOptions,
    actor: Actor,
  ): Promise<Result<RecommendationScan & { notApplied: NotApplied; changedComputerIds: string[] }>> {
    const stored = await inventory.get(computerId);
    if (!stored.ok) return stored;
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const target = { kind: 'computer' as const, id: computerId };
        const computer = await trx
          .selectFrom('computers')
          .select('deactivated_at')
          .where('id', '=', computerId)
          .executeTakeFirst();
        if (!computer) abort('not-found', `computer ${computerId} not found`);
        if (computer.deactivated_at !== null) abort('forbidden', `computer ${computerId} is deactivated`);
        const layers = await targetLayers(trx, await loadPolicies(trx), target);
        const catalogue = await loadCatalogue(trx, ctx.modules);
        const ruleData = await loadRuleData(trx, [computerId]);
        const effective = resolveEffectiveRules(layers, ruleData, catalogue);
        const inForce = new Set(effective.map((r) => `${r.module}\u0000${r.id}`));
        const excludedRows = await trx
          .selectFrom('recommendation_exclusions')
          .select(['module', 'rule_id'])
          .where('excluded', '=', 1)
          .execute();
        const isExcluded = new Set(excludedRows.map((r) => `${r.module}\u0000${r.rule_id}`));

        const recommended: RuleIdsByModule = {};
        const applied: RuleIdsByModule = {};
        const excluded: RuleIdsByModule = {};
        const notApplied: NotApplied = {};
        const now = ctx.now();
        for (const module of ctx.modules) {
          if (!module.recommend) continue;
          const rules = catalogue.get(module.id);
          const ids = [...new Set(module.recommend(stored.value.inventory))].filter((id) => rules?.has(id)).sort();
          if (ids.length === 0) continue;
          recommended[module.id] = ids;
          const out = ids.filter((id) => isExcluded.has(`${module.id}\u0000${id}`));
          if (out.length > 0) excluded[module.id] = out;
          if (!options.autoApply) continue;
          const candidates = ids.filter(
            (id) => !isExcluded.has(`${module.id}\u0000${id}`) && !inForce.has(`${module.id}\u0000${id}`),
          );
          if (candidates.length === 0) continue;
          // Assigning a rule the module cannot enforce here (e.g. a firewall rule naming a list
          // this computer does not have) would only put it in the compiler's rejected list.
          const problems = await problemsInForce(trx, ctx, module, target, {
            ruleIds: new Set(candidates),
            asIfAssigned: candidates,
          });
          const refused = new Map<string, string>();
          for (const p of problems) {
            const why = `${p.issue.path} ${p.issue.message}`;
            refused.set(p.ruleId, refused.has(p.ruleId) ? `${refused.get(p.ruleId)}; ${why}` : why);
          }
          // A rule that would narrow what the host lets through (a firewall allow rule turning on an
          // implicit deny) changes what is blocked for traffic the scan never looked at: proposed only.
          for (const r of module.autoApplyRefusals?.(
            candidates
              .filter((id) => !refused.has(id))
              .map((id) => ({
                id,
                definition: rules?.get(id)?.definition,
                overrides: overridesAlong(layers, ruleData, module.id, id),
              })),
            assignedOf(effective, module.id),
          ) ?? []) {
            if (candidates.includes(r.id) && !refused.has(r.id)) refused.set(r.id, r.reason);
          }
          if (refused.size > 0) notApplied[module.id] = [...refused].map(([id, reason]) => ({ id, reason }));
          const toApply = candidates.filter((id) => !refused.has(id));
          if (toApply.length === 0) continue;
          applied[module.id] = toApply;
          await trx
            .insertInto('rule_assignments')
            .values(
              toApply.map((ruleId) => ({
                target_kind: 'computer' as const,
                target_id: computerId,
                module: module.id,
                rule_id: ruleId,
                assigned_at: now,
              })),
            )
            .onConflict((oc) => oc.doNothing())
            .execute();
          await recordAudit(trx, now, actor, 'rule.assign', target, null, {
            module: module.id,
            ruleIds: toApply,
            by: 'recommendation scan',
          });
        }
        const row = {
          scanned_at: now,
          inventory_digest: stored.value.digest,
          recommended_json: JSON.stringify(recommended),
          applied_json: JSON.stringify(applied),
        };
        await trx
          .insertInto('recommendation_results')
          .values({ computer_id: computerId, ...row })
          .onConflict((oc) => oc.column('computer_id').doUpdateSet(row))
          .execute();
        const changedComputerIds =
          Object.keys(applied).length > 0 ? await configuration.recompute({ computerIds: [computerId] }, trx) : [];
        return {
          computerId,
          scannedAt: iso(now),
          inventoryDigest: stored.value.digest,
          recommended,
          applied,
          excluded,
          notApplied,
          changedComputerIds,
        };
      }),
    );
  }

  /** The last scan's result; `excluded` reflects the exclusions as they are now. */
  async function last(computerId: string): Promise<Result<RecommendationScan>> {
    return guarded(async () => {
      const row = await ctx.db
        .selectFrom('recommendation_results')
        .selectAll()
        .where('computer_id', '=', computerId)
        .executeTakeFirst();
      if (!row) {
        const computer = await ctx.db
          .selectFrom('computers')
          .select('id')
          .where('id', '=', computerId)
          .executeTakeFirst();
        abort(
          'not-found',
          computer
            ? `computer ${computerId} has not had a recommendation scan yet`
            : `computer ${computerId} not found`,
        );
      }
      const recommended = JSON.parse(row.recommended_json) as RuleIdsByModule;
      const excludedRows = await ctx.db
        .selectFrom('recommendation_exclusions')
        .select(['module', 'rule_id'])
        .where('excluded', '=', 1)
        .execute();
      const excluded: RuleIdsByModule = {};
      for (const [module, ids] of Object.entries(recommended)) {
        const out = ids.filter((id) => excludedRows.some((r) => r.module === module && r.rule_id === id));
        if (out.length > 0) excluded[module] = out;
      }
      return {
        computerId,
        scannedAt: iso(row.scanned_at),
        inventoryDigest: row.inventory_digest,
        recommended,
        applied: JSON.parse(row.applied_json) as RuleIdsByModule,
        excluded,
      };
    });
  }

  return { scan, last };
}

/** A rule's overrides as they would be merged if it were assigned at the end of `layers`. */
function overridesAlong(
  layers: readonly RuleSource[],
  data: RuleData,
  module: string,
  ruleId: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) Object.assign(out, overridesAt(data, layer, module).get(ruleId) ?? {});
  return out;
}

function assignedOf(effective: readonly EffectiveRule[], module: string): AssignedRule[] {
  return effective
    .filter((r) => r.module === module)
    .map((r) => ({ id: r.id, definition: r.definition, overrides: r.overrides }));
}

export type RecommendationsService = ReturnType<typeof recommendationsService>;
