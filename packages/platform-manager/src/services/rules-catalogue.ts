import { describeIssues, type ManagerModule, parseWith } from '@bulwark/protocol';
import type { Executor } from './context.js';
import { abort, fail, ok, type Result } from './result.js';
import { iso } from './time.js';

/** One rule of a module's catalogue: shipped with the module (read-only) or created through the API. */
export interface CatalogueRule {
  readonly module: string;
  readonly id: string;
  readonly builtIn: boolean;
  readonly definition: Readonly<Record<string, unknown>>;
  /** Custom rules only. */
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

/** Every module's rules by module id, then rule id. Built-ins win over a (corrupt) custom row with their id. */
export type Catalogue = ReadonlyMap<string, ReadonlyMap<string, CatalogueRule>>;

export function findModule(modules: readonly ManagerModule[], moduleId: string): Result<ManagerModule> {
  const module = modules.find((m) => m.id === moduleId);
  if (!module) {
    const known = modules.map((m) => m.id).join(', ') || 'none';
    return fail('not-found', `module ${moduleId} is not registered (registered: ${known})`);
  }
  return ok(module);
}

export function builtInRule(module: ManagerModule, ruleId: string): CatalogueRule | undefined {
  const rule = module.builtInRules?.find((r) => r.id === ruleId);
  return rule
    ? { module: module.id, id: rule.id, builtIn: true, definition: rule, createdAt: null, updatedAt: null }
    : undefined;
}

/** Built-in rules of every module plus the custom rules stored (of the given modules, or all). */
export async function loadCatalogue(
  db: Executor,
  modules: readonly ManagerModule[],
  only?: readonly string[],
): Promise<Catalogue> {
  const out = new Map<string, Map<string, CatalogueRule>>();
  for (const module of modules) {
    if (only && !only.includes(module.id)) continue;
    const rules = new Map<string, CatalogueRule>();
    for (const rule of module.builtInRules ?? []) {
      rules.set(rule.id, {
        module: module.id,
        id: rule.id,
        builtIn: true,
        definition: rule,
        createdAt: null,
        updatedAt: null,
      });
    }
    out.set(module.id, rules);
  }
  let query = db.selectFrom('custom_rules').selectAll();
  if (only) {
    if (only.length === 0) return out;
    query = query.where('module', 'in', only);
  }
  for (const row of await query.execute()) {
    const rules = out.get(row.module);
    // A custom rule of a module no longer registered stays stored but is not offered.
    if (!rules || rules.has(row.id)) continue;
    rules.set(row.id, {
      module: row.module,
      id: row.id,
      builtIn: false,
      definition: JSON.parse(row.definition_json) as Record<string, unknown>,
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    });
  }
  return out;
}

/**
 * Checks a custom rule against the module's rule schema. The message names the first failing
 * field so a user can fix it; `issues` lists them all.
 */
export function checkCustomRule(
  module: ManagerModule,
  definition: unknown,
): Result<Record<string, unknown> & { id: string }> {
  const shaped = checkRuleShape(module, definition);
  if (!shaped.ok || !module.ruleSchema) return shaped;
  const id = shaped.value.id;
  const parsed = parseWith(module.ruleSchema, definition);
  if (!parsed.ok) {
    return fail(
      'validation',
      `rule ${id} does not fit the ${module.id} rule schema: ${describeIssues(parsed.issues)}`,
      parsed.issues,
    );
  }
  return ok(definition as Record<string, unknown> & { id: string });
}

/** The module takes custom rules, and this is a JSON object with a usable `id`; nothing more yet. */
export function checkRuleShape(
  module: ManagerModule,
  definition: unknown,
): Result<Record<string, unknown> & { id: string }> {
  if (!module.ruleSchema) return fail('validation', `module ${module.id} does not take custom rules`);
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    return fail('validation', 'a rule must be a JSON object', [{ path: '/', message: 'Expected object' }]);
  }
  const id = (definition as { id?: unknown }).id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(id)) {
    return fail('validation', '/id: a rule needs an id of 1 to 128 letters, digits, ".", "_", ":" or "-"', [
      { path: '/id', message: 'Expected a rule id' },
    ]);
  }
  return ok(definition as Record<string, unknown> & { id: string });
}

/** The registered module, or an abort (inside `guarded`) naming the registered ones. */
export function requireModule(modules: readonly ManagerModule[], moduleId: string): ManagerModule {
  const found = findModule(modules, moduleId);
  if (!found.ok) abort(found.error.kind, found.error.message);
  return found.value;
}

/** One module's catalogue; aborts when the module is not registered. */
export async function moduleRules(
  db: Executor,
  modules: readonly ManagerModule[],
  moduleId: string,
): Promise<ReadonlyMap<string, CatalogueRule>> {
  requireModule(modules, moduleId);
  return (await loadCatalogue(db, modules, [moduleId])).get(moduleId) ?? new Map();
}
