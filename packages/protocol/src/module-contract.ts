import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { ModuleCommandDefinition } from './agent-commands.js';
import type { AgentEvent, NewEvent } from './event.js';
import type { Inventory } from './inventory.js';
import type { ModuleStatus } from './module-status.js';
import type { ModuleConfiguration, PlatformSettings } from './security-configuration.js';
import type { ValidationIssue } from './validation.js';

/**
 * The module contract of DESIGN.md, as types. A protection module implements `ManagerModule`
 * in `modules/<id>/manager/` and `AgentModuleFactory` in `modules/<id>/agent/`, and is added to
 * each side's registry once. Nothing else in the platform names a module.
 */

/** A rule as assigned to a computer: its definition plus the property overrides along the chain. */
export interface AssignedRule {
  readonly id: string;
  readonly definition: unknown;
  readonly overrides: Readonly<Record<string, unknown>>;
}

export interface CompileInput<S> {
  readonly computerId: string;
  readonly settings: S;
  readonly platform: PlatformSettings;
  readonly rules: readonly AssignedRule[];
}

/**
 * What a module's `checkRule` may look at. The manager calls it before it stores a custom rule,
 * a property override or an assignment, and before a settings change, so that a rule the module
 * would refuse at compile time is refused at the API instead of dropped silently on the host.
 */
export interface RuleCheckContext<S> {
  /**
   * The module's effective settings at one policy or computer where the rule is (or is about to
   * be) in force; null when the rule is checked on its own, as a custom rule is when it is
   * created or replaced before or apart from any assignment.
   */
  readonly settings: S | null;
  /**
   * When `settings` is null: every distinct effective value of the module's settings across
   * policies and computers (defaults included), i.e. what an unplaced rule could refer to, such
   * as the firewall's reusable lists; an id that is in none of them is a typo, not a list to
   * come. Otherwise just `[settings]`.
   */
  readonly everywhere: readonly S[];
}

export interface EventPresentation {
  /** Short title for lists, e.g. "SSH brute force" or "Port scan from 10.0.0.3". */
  readonly title: string;
}

export interface ManagerModule<S extends TObject = TObject> {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  /**
   * Settings as a TypeBox object; every property has a `default`, and one is `enabled` (boolean).
   * Setting keys are `<module id>.<property>`; policies and computers store only overrides.
   */
  readonly settings: S;
  /**
   * Settings (property names of `settings`) only an administrator may set or remove, at any level:
   * those that widen what the agent does as root on the host (which files it reads and ships, say).
   * An operator's change of one is refused (403) with the reason.
   */
  readonly administratorSettings?: readonly string[];
  /** Schema of one rule of this module, for rules created through the API. */
  readonly ruleSchema?: TSchema;
  /** Rules shipped with the module; each has a string `id` unique within the module. */
  readonly builtInRules?: readonly { readonly id: string; readonly [key: string]: unknown }[];
  /** Rule ids to propose for a host with this inventory (recommendation scan). */
  recommend?(inventory: Inventory): readonly string[];
  /** The module's part of a computer's security configuration. Pure: same input, same output. */
  compile(input: CompileInput<Static<S>>): unknown;
  /**
   * The problems `compile` would have with this rule (its definition with the given property
   * overrides merged as compile merges them), each naming the field as a JSON pointer into the
   * rule and saying what to change. Empty when compile would use the rule as it is. Pure.
   * A module with this hook owns the check of overridden rules: the manager then skips its
   * generic "definition + overrides fits ruleSchema" check, because modules merge overrides
   * their own way.
   */
  checkRule?(rule: AssignedRule, context: RuleCheckContext<Static<S>>): readonly ValidationIssue[];
  /**
   * What is wrong with a value of the setting `property` that its schema cannot say (a regular
   * expression that does not compile, say), each issue naming the member as a JSON pointer into
   * the value. Called once the value fits its schema, before it is stored; empty when fine. Pure.
   */
  checkSetting?(property: string, value: unknown): readonly ValidationIssue[];
  /**
   * The schema's issues with a value of the setting `property` that does not fit it, reworded
   * where the schema's own message does not say what to change ("Expected union value" for a
   * port out of range, say). Returns the issues to report, same paths. Pure; optional.
   */
  explainSettingIssues?(
    property: string,
    value: unknown,
    issues: readonly ValidationIssue[],
  ): readonly ValidationIssue[];
  /**
   * The commands the agent side's `run()` takes (`POST /api/computers/{id}/commands`). Without
   * it the API accepts any well-formed command name and the agent answers for unknown ones.
   */
  readonly commands?: readonly ModuleCommandDefinition[];
  presentEvent?(event: AgentEvent): EventPresentation;
}

export interface ModuleLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * What the host's own administrator set on the host (the agent's local configuration file),
 * which no manager account can change. A module consults it before doing what a manager account
 * alone should not make every host of a policy do, such as running commands as root.
 */
export interface LocalOptions {
  /** Where the options are read from (a file path), for messages that say how to set one. */
  readonly source: string;
  /** The value written for `<module id>.<option>`; undefined when not set or not trusted. */
  get(key: string): string | undefined;
  /** What is wrong with the source (e.g. writable by non-root users: then nothing in it counts). */
  readonly problem?: string;
}

export interface AgentModuleContext {
  /** A directory that belongs to this module alone, for state kept across restarts. */
  readonly dataDir: string;
  /** The host's local options; absent (as in most tests) means nothing is set locally. */
  readonly localOptions?: LocalOptions;
  /**
   * The manager's agent-port URL this agent reports to. A module that filters traffic keeps it
   * reachable whatever its rules say; absent when the runtime has no manager (tests).
   */
  readonly managerUrl?: string;
  readonly log: ModuleLogger;
  /** Spools an event durably; the agent numbers and uploads it. Never throws. */
  emit(event: NewEvent): void;
  /** Sends the host inventory to the manager (the inventory module uses it). */
  reportInventory(inventory: Inventory): void;
  /**
   * Replaces the file `name` in `dataDir` with `content` (UTF-8, mode 0600) so that a crash or a
   * power loss leaves the old content or the new, never an empty or torn file: temporary file,
   * fsync, rename, fsync of the directory. Offered by the context because modules do not depend
   * on the platform agent, and a hand-made rename without the fsyncs is not durable.
   * `name` is a plain file name: one that is empty, holds a '/' or starts with '.' (which covers
   * '.', '..' and the writer's temporary files) is refused with an Error. Throws on I/O errors;
   * the module decides whether a state it could not save is worth more than a warning.
   */
  writeStateFile(name: string, content: string): void;
}

export interface AgentModule {
  readonly id: string;
  /**
   * Makes the host match this configuration. Idempotent: applying the same configuration twice
   * changes nothing. `enabled: false` stops the module. A module that cannot run on this host
   * (no root, no kernel feature) reports `unavailable` from status() instead of throwing.
   */
  apply(configuration: ModuleConfiguration, platform: PlatformSettings): Promise<void>;
  stop(): Promise<void>;
  status(): ModuleStatus;
  /** Actions such as "scan now"; unknown commands return a rejected promise with a clear message. */
  run?(command: string, args: Readonly<Record<string, unknown>>): Promise<unknown>;
}

export interface AgentModuleFactory {
  readonly id: string;
  create(context: AgentModuleContext): AgentModule;
}
