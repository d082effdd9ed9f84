import {
  type ManagerModule,
  type ModuleSnapshotPresentation,
  PlatformSettings,
  parseWith,
  type ValidationIssue,
} from '@bulwark/protocol';
import type { TObject, TSchema } from '@sinclair/typebox';

/** One setting a policy or computer can override: `<module>.<property>` with its schema and default. */
export interface SettingDefinition {
  readonly key: string;
  readonly module: string;
  readonly property: string;
  readonly schema: TSchema;
  readonly default: unknown;
  /** Only an administrator may change it (the module's `administratorSettings`). */
  readonly administratorOnly?: boolean;
}

export interface ModuleInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly settings: TObject;
  readonly defaults: Readonly<Record<string, unknown>>;
  /** How the module's snapshot copies are presented (ManagerModule.snapshots), if it has any. */
  readonly snapshots?: ModuleSnapshotPresentation;
  /** Setting properties only an administrator may change. */
  readonly administratorSettings: readonly string[];
  /** Commands a computer's agent runs for the module (the console offers them as actions). */
  readonly commands: readonly {
    readonly name: string;
    readonly description: string;
    /** The command cannot run without arguments (the console offers it as a plain button only when false). */
    readonly argumentsRequired: boolean;
  }[];
  /** True when the module has a rule catalogue (rules can be assigned). */
  readonly hasRules: boolean;
  /** The event types the module emits (empty when it does not say). */
  readonly eventTypes: readonly string[];
}

export const PLATFORM_MODULE_ID = 'platform';

export interface SettingCatalog {
  readonly definitions: readonly SettingDefinition[];
  readonly modules: readonly ModuleInfo[];
  get(key: string): SettingDefinition | undefined;
  /** Checks a value for a key; the message names the key and says what is wrong. */
  check(
    key: string,
    value: unknown,
  ): { ok: true } | { ok: false; message: string; issues?: readonly ValidationIssue[] };
}

/**
 * Builds the catalog of every setting from the platform's own settings and each registered
 * module's settings object. A module id that repeats, or collides with `platform`, is a
 * programming error in the registry and stops the manager at start.
 */
export function buildSettingCatalog(modules: readonly ManagerModule[]): SettingCatalog {
  const infos: ModuleInfo[] = [
    {
      id: PLATFORM_MODULE_ID,
      name: 'Platform',
      description: 'Settings of the agent platform itself: heartbeats, network engine mode, fail mode, event spool.',
      settings: PlatformSettings,
      defaults: defaultsOf(PlatformSettings),
      administratorSettings: [],
      commands: [],
      hasRules: false,
      eventTypes: [],
    },
  ];
  for (const module of modules) {
    if (infos.some((i) => i.id === module.id)) throw new Error(`module id ${module.id} is registered twice`);
    infos.push({
      id: module.id,
      name: module.name,
      description: module.description,
      settings: module.settings,
      defaults: defaultsOf(module.settings),
      ...(module.snapshots === undefined ? {} : { snapshots: module.snapshots }),
      administratorSettings: [...(module.administratorSettings ?? [])],
      commands: (module.commands ?? []).map((c) => ({
        name: c.name,
        description: c.description,
        argumentsRequired: ((c.arguments as { required?: readonly string[] } | undefined)?.required?.length ?? 0) > 0,
      })),
      hasRules: module.ruleSchema !== undefined || (module.builtInRules?.length ?? 0) > 0,
      eventTypes: [...(module.eventTypes ?? [])],
    });
  }
  const definitions: SettingDefinition[] = [];
  for (const info of infos) {
    for (const [property, schema] of Object.entries(info.settings.properties)) {
      definitions.push({
        key: `${info.id}.${property}`,
        module: info.id,
        property,
        schema,
        default: info.defaults[property],
        administratorOnly: info.administratorSettings.includes(property),
      });
    }
  }
  const byKey = new Map(definitions.map((d) => [d.key, d]));
  const semantic = new Map(modules.flatMap((m) => (m.checkSetting ? [[m.id, m.checkSetting.bind(m)] as const] : [])));
  const explain = new Map(
    modules.flatMap((m) => (m.explainSettingIssues ? [[m.id, m.explainSettingIssues.bind(m)] as const] : [])),
  );
  return {
    definitions,
    modules: infos,
    get: (key) => byKey.get(key),
    check(key, value) {
      const definition = byKey.get(key);
      if (!definition) return { ok: false, message: unknownKeyMessage(key, infos) };
      if (value === undefined) return { ok: false, message: `${key}: a value is required` };
      const parsed = parseWith(definition.schema, value);
      if (parsed.ok) {
        const issues = semantic.get(definition.module)?.(definition.property, value) ?? [];
        if (issues.length === 0) return { ok: true };
        return {
          ok: false,
          message: `${key}: ${issues.map((i) => (i.path === '/' ? i.message : `${i.path}: ${i.message}`)).join('; ')}`,
          issues: issues.map((i) => ({ path: `/${key}${i.path === '/' ? '' : i.path}`, message: i.message })),
        };
      }
      const issues = explain.get(definition.module)?.(definition.property, value, parsed.issues) ?? parsed.issues;
      const reasons = issues.map((i) => (i.path === '/' ? i.message : `${i.path}: ${i.message}`));
      return {
        ok: false,
        message: `${key}: ${JSON.stringify(value)} is not allowed (${[...new Set(reasons)].join('; ')})`,
        issues: issues.map((i) => ({ path: `/${key}${i.path === '/' ? '' : i.path}`, message: i.message })),
      };
    },
  };
}

function unknownKeyMessage(key: string, infos: readonly ModuleInfo[]): string {
  const dot = key.indexOf('.');
  const moduleId = dot > 0 ? key.slice(0, dot) : key;
  const info = infos.find((i) => i.id === moduleId);
  if (!info) {
    return `unknown setting ${JSON.stringify(key)}: keys are <module>.<setting> and the modules are ${infos.map((i) => i.id).join(', ')}`;
  }
  return `unknown setting ${JSON.stringify(key)}: ${moduleId} has ${Object.keys(info.settings.properties)
    .map((p) => `${moduleId}.${p}`)
    .join(', ')}`;
}

function defaultsOf(schema: TObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [property, member] of Object.entries(schema.properties)) {
    if ('default' in member) out[property] = structuredClone(member.default);
  }
  return out;
}
