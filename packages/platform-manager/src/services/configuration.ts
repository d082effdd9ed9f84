import {
  type AssignedRule,
  type PlatformSettings,
  type SecurityConfiguration,
  securityConfiguration,
  type UpdatePackageRefs,
} from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { PostgresAdapter, sql } from 'kysely';
import type { ComputerRow } from '../storage/schema.js';
import { saveComputer } from './computer-status.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { loadPolicies, type PolicyMap, policyChain, withDescendants } from './policy-tree.js';
import { fail, ok, type Result } from './result.js';
import { type Catalogue, loadCatalogue } from './rules-catalogue.js';
import { assignedRulesByModule, loadRuleData, type RuleData, resolveEffectiveRules } from './rules-effective.js';
import { PLATFORM_MODULE_ID, type SettingDefinition } from './setting-catalog.js';
import { resolveSettings, type SettingLayer, settingsByModule } from './settings-resolver.js';
import { loadCurrentUpdates } from './update-packages.js';

/** Which computers a change may touch. */
export type Affected = { readonly computerIds?: readonly string[]; readonly policyIds?: readonly string[] } | 'all';

type OverrideMap = Map<string, Map<string, unknown>>;

/** Stored overrides of the given targets, by target id then key. */
export async function loadOverrides(
  db: Executor,
  kind: 'policy' | 'computer',
  ids?: readonly string[],
): Promise<OverrideMap> {
  const out: OverrideMap = new Map();
  const chunks = ids === undefined ? [undefined] : chunk(ids, 500);
  for (const part of chunks) {
    if (part !== undefined && part.length === 0) continue;
    let query = db.selectFrom('settings').select(['target_id', 'key', 'value_json']).where('target_kind', '=', kind);
    if (part !== undefined) query = query.where('target_id', 'in', part);
    for (const row of await query.execute()) {
      const values = out.get(row.target_id) ?? new Map<string, unknown>();
      values.set(row.key, JSON.parse(row.value_json));
      out.set(row.target_id, values);
    }
  }
  return out;
}

/** Layers root policy → … → the policy, then the computer itself when given. */
export function layersFor(
  policies: PolicyMap,
  policyOverrides: OverrideMap,
  policyId: string | null,
  computer?: { id: string; name: string; overrides: ReadonlyMap<string, unknown> },
): SettingLayer[] {
  const layers: SettingLayer[] = policyChain(policies, policyId).map((p) => ({
    source: { kind: 'policy', id: p.id, name: p.name },
    values: policyOverrides.get(p.id) ?? new Map(),
  }));
  if (computer) {
    layers.push({ source: { kind: 'computer', id: computer.id, name: computer.name }, values: computer.overrides });
  }
  return layers;
}

/** A stored override still applies only while it fits the (possibly newer) schema of its setting. */
export function storedValueFits(definition: SettingDefinition, value: unknown): boolean {
  return Value.Check(definition.schema, value);
}

/** Compiles one computer's security configuration from its resolved settings. Pure given its inputs. */
export function compileFor(
  ctx: ServiceContext,
  computerId: string,
  layers: readonly SettingLayer[],
  rules: ReadonlyMap<string, readonly AssignedRule[]> = new Map(),
  updates: UpdatePackageRefs = {},
): SecurityConfiguration {
  const { catalog } = ctx;
  const effective = resolveSettings(catalog.definitions, layers, storedValueFits);
  const grouped = settingsByModule(catalog.definitions, effective);
  const platform = (grouped[PLATFORM_MODULE_ID] ?? {}) as PlatformSettings;
  const modules: SecurityConfiguration['modules'] = {};
  const named: Record<string, UpdatePackageRefs[string]> = {};
  for (const module of ctx.modules) {
    const settings = grouped[module.id] ?? {};
    const own: Record<string, UpdatePackageRefs[string]> = {};
    for (const { kind } of module.updateKinds ?? []) {
      const ref = updates[kind];
      if (ref !== undefined) own[kind] = named[kind] = ref;
    }
    modules[module.id] = {
      enabled: settings.enabled !== false,
      configuration:
        module.compile({
          computerId,
          settings,
          platform,
          rules: rules.get(module.id) ?? [],
          ...(module.updateKinds === undefined ? {} : { updates: own }),
        }) ?? null,
    };
  }
  // Only when there is one: configurations without packages keep the shape (and hash) they had.
  return securityConfiguration({
    computerId,
    platform,
    modules,
    ...(Object.keys(named).length > 0 ? { updates: named } : {}),
  });
}

export function configurationService(ctx: ServiceContext) {
  async function compile(computerId: string, db: Executor = ctx.db): Promise<Result<SecurityConfiguration>> {
    const computer = await db.selectFrom('computers').selectAll().where('id', '=', computerId).executeTakeFirst();
    if (!computer) return fail('not-found', `computer ${computerId} not found`);
    const policies = await loadPolicies(db);
    const policyOverrides = await loadOverrides(db, 'policy');
    const own = await loadOverrides(db, 'computer', [computerId]);
    const layers = layersFor(policies, policyOverrides, computer.policy_id, {
      id: computer.id,
      name: computer.name,
      overrides: own.get(computerId) ?? new Map(),
    });
    const catalogue = await loadCatalogue(db, ctx.modules);
    const ruleData = await loadRuleData(db, [computerId]);
    const updates = await loadCurrentUpdates(db);
    return ok(compileFor(ctx, computerId, layers, rulesFor(layers, ruleData, catalogue), updates));
  }

  /**
   * Recompiles the affected computers (not deactivated ones) and stores their configuration
   * version, heartbeat interval and status. Returns the ids whose version changed: those agents
   * should be woken to fetch it.
   */
  async function recompute(affected: Affected, db: Executor = ctx.db): Promise<string[]> {
    await serialiseConfigurationChanges(db);
    const policies = await loadPolicies(db);
    let query = db.selectFrom('computers').selectAll().where('deactivated_at', 'is', null);
    if (affected !== 'all') {
      const ids = [...(affected.computerIds ?? [])];
      const policyIds = [...withDescendants(policies, affected.policyIds ?? [])];
      if (ids.length === 0 && policyIds.length === 0) return [];
      query = query.where((eb) =>
        eb.or([
          ...(ids.length > 0 ? [eb('id', 'in', ids)] : []),
          ...(policyIds.length > 0 ? [eb('policy_id', 'in', policyIds)] : []),
        ]),
      );
    }
    const computers = await query.execute();
    if (computers.length === 0) return [];
    const policyOverrides = await loadOverrides(db, 'policy');
    const computerOverrides = await loadOverrides(
      db,
      'computer',
      computers.map((c) => c.id),
    );
    const catalogue = await loadCatalogue(db, ctx.modules);
    const ruleData = await loadRuleData(
      db,
      computers.map((c) => c.id),
    );
    const updates = await loadCurrentUpdates(db);
    const changed: string[] = [];
    for (const computer of computers) {
      const layers = layersFor(policies, policyOverrides, computer.policy_id, {
        id: computer.id,
        name: computer.name,
        overrides: computerOverrides.get(computer.id) ?? new Map(),
      });
      const configuration = compileFor(ctx, computer.id, layers, rulesFor(layers, ruleData, catalogue), updates);
      if (await storeVersion(db, computer, configuration)) changed.push(computer.id);
    }
    return changed;
  }

  /**
   * The computer's configuration compiled from what is committed now, with the stored version
   * brought in line when it is not (what a lost race between two changes would have left), so
   * the heartbeat names it from then on.
   */
  async function current(computerId: string): Promise<Result<SecurityConfiguration>> {
    const compiled = await compile(computerId);
    if (!compiled.ok) return compiled;
    const row = await ctx.db.selectFrom('computers').selectAll().where('id', '=', computerId).executeTakeFirst();
    if (row && row.deactivated_at === null && row.config_version !== compiled.value.version) {
      await inTransaction(ctx.db, (trx) => recompute({ computerIds: [computerId] }, trx));
      return compile(computerId);
    }
    return compiled;
  }

  return { compile, recompute, current };
}

/** Advisory-lock key of configuration recomputes (PostgreSQL); "BWCF". */
const RECOMPUTE_LOCK = 0x42574346;

/**
 * Two changes that overlap in time (two administrators, two manager nodes) each recompute in
 * their own transaction and, under PostgreSQL's READ COMMITTED, neither sees the other's
 * uncommitted writes: the one that commits last could store a version that misses the other's
 * change, leaving the agent "Updates pending" with a version nobody can compile. Holding a
 * transaction-scoped lock from the recompute to the commit makes them take turns; the later one
 * reads what the earlier committed, so the stored version is always that of the committed state.
 * A change that writes a row a recompute also writes (a computer moved to another policy) takes
 * the lock first thing, before its writes, or the two could wait on each other. SQLite has one
 * writer at a time already.
 */
export async function serialiseConfigurationChanges(db: Executor): Promise<void> {
  if (!db.isTransaction || !(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`select pg_advisory_xact_lock(${RECOMPUTE_LOCK})`.execute(db);
}

/** The rules each module compiles for a computer whose setting layers these are (same levels). */
function rulesFor(layers: readonly SettingLayer[], data: RuleData, catalogue: Catalogue) {
  return assignedRulesByModule(
    resolveEffectiveRules(
      layers.map((l) => l.source),
      data,
      catalogue,
    ),
  );
}

async function storeVersion(
  db: Executor,
  computer: ComputerRow,
  configuration: SecurityConfiguration,
): Promise<boolean> {
  const { heartbeatIntervalSeconds, missedHeartbeatsBeforeOffline } = configuration.platform;
  if (
    computer.config_version === configuration.version &&
    computer.heartbeat_interval_seconds === heartbeatIntervalSeconds &&
    computer.missed_heartbeats_before_offline === missedHeartbeatsBeforeOffline
  ) {
    return false;
  }
  await saveComputer(db, computer, {
    config_version: configuration.version,
    heartbeat_interval_seconds: heartbeatIntervalSeconds,
    missed_heartbeats_before_offline: missedHeartbeatsBeforeOffline,
  });
  return computer.config_version !== configuration.version;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export type ConfigurationService = ReturnType<typeof configurationService>;
