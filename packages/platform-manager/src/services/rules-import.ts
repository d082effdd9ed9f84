import type { ManagerModule } from '@bulwark/protocol';
import { recordAudit } from './audit.js';
import { type ConfigurationService, serialiseConfigurationChanges } from './configuration.js';
import { inTransaction, type ServiceContext } from './context.js';
import { fail, guarded, type Result } from './result.js';
import type { Actor } from './roles.js';
import { checkCustomRule, findModule, moduleRules } from './rules-catalogue.js';

/** Rows per INSERT: well under SQLite's and PostgreSQL's limits on bound parameters. */
const INSERT_CHUNK_ROWS = 500;

/** What importing one rule file did. */
export interface RuleFileImportResult {
  readonly module: string;
  /** Rules new to the catalogue. */
  readonly added: number;
  /** Custom rules of the same id whose definition the file changed. */
  readonly replaced: number;
  /** Custom rules of the same id the file holds unchanged. */
  readonly unchanged: number;
  readonly refused: readonly { readonly line: number; readonly id?: string; readonly reason: string }[];
  /** Refusals counted by their reason up to the first ':' (e.g. `unsupported keyword`), largest first. */
  readonly refusedByReason: Readonly<Record<string, number>>;
  readonly skippedLines: number;
  readonly changedComputerIds: readonly string[];
}

/**
 * `POST /api/modules/{id}/rules/import`: the module reads the file (its `importRules` hook); the
 * rules it accepts are stored as custom rules in one transaction, replacing custom rules of the
 * same id; what it refuses is answered with the reason, never stored half. A rule whose id is a
 * built-in rule's is refused too.
 */
export function ruleImportService(ctx: ServiceContext, configuration: ConfigurationService) {
  async function importRuleFile(moduleId: string, text: string, actor: Actor): Promise<Result<RuleFileImportResult>> {
    const found = findModule(ctx.modules, moduleId);
    if (!found.ok) return found;
    const module: ManagerModule = found.value;
    if (!module.importRules) return fail('validation', `module ${moduleId} does not import rule files`);
    const read = module.importRules(text);
    const refused = [...read.refused];
    const accepted = new Map<string, Record<string, unknown> & { id: string }>();
    for (const rule of read.rules) {
      const checked = checkCustomRule(module, rule);
      if (!checked.ok) refused.push({ line: 0, id: rule.id, reason: checked.error.message });
      else accepted.set(checked.value.id, checked.value);
    }
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        await serialiseConfigurationChanges(trx);
        const existing = await moduleRules(trx, ctx.modules, moduleId);
        const now = ctx.now();
        const inserts: {
          module: string;
          id: string;
          definition_json: string;
          created_at: number;
          updated_at: number;
        }[] = [];
        const replacedIds = new Set<string>();
        let unchanged = 0;
        for (const [id, rule] of accepted) {
          const before = existing.get(id);
          const json = JSON.stringify(rule);
          if (before?.builtIn) {
            refused.push({ line: 0, id, reason: `duplicate id: ${id} is a built-in ${moduleId} rule` });
          } else if (before === undefined) {
            inserts.push({ module: moduleId, id, definition_json: json, created_at: now, updated_at: now });
          } else if (JSON.stringify(before.definition) === json) {
            unchanged++;
          } else {
            replacedIds.add(id);
            await trx
              .updateTable('custom_rules')
              .set({ definition_json: json, updated_at: now })
              .where('module', '=', moduleId)
              .where('id', '=', id)
              .execute();
          }
        }
        for (let i = 0; i < inserts.length; i += INSERT_CHUNK_ROWS) {
          await trx
            .insertInto('custom_rules')
            .values(inserts.slice(i, i + INSERT_CHUNK_ROWS))
            .execute();
        }
        const refusedByReason = countReasons(refused);
        const summary = {
          module: moduleId,
          added: inserts.length,
          replaced: replacedIds.size,
          unchanged,
          refused: refused.length,
          refusedByReason,
        };
        await recordAudit(trx, now, actor, 'rule.import', { kind: 'rules', id: moduleId }, null, summary);
        // Replaced rules that are assigned somewhere change what those computers enforce.
        const assignments =
          replacedIds.size === 0
            ? []
            : await trx
                .selectFrom('rule_assignments')
                .select(['target_kind', 'target_id', 'rule_id'])
                .where('module', '=', moduleId)
                .execute();
        const hit = assignments.filter((a) => replacedIds.has(a.rule_id));
        const changedComputerIds =
          hit.length === 0
            ? []
            : await configuration.recompute(
                {
                  policyIds: hit.filter((a) => a.target_kind === 'policy').map((a) => a.target_id),
                  computerIds: hit.filter((a) => a.target_kind === 'computer').map((a) => a.target_id),
                },
                trx,
              );
        return { ...summary, refused, skippedLines: read.skippedLines, changedComputerIds };
      }),
    );
  }
  return { importRuleFile };
}

/** "unsupported keyword: byte_test" and "unsupported keyword: lua" count as one reason. */
function countReasons(refused: readonly { reason: string }[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const r of refused) {
    const key = r.reason.split(':')[0]?.trim().slice(0, 120) || 'refused';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}
