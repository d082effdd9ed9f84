import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { ModuleCommandDefinition } from './agent-commands.js';
import type { AgentEvent, NewEvent } from './event.js';
import type { Inventory } from './inventory.js';
import type { ModuleStatus } from './module-status.js';
import type { ModuleConfiguration, PlatformSettings } from './security-configuration.js';
import type { SiemField, SiemFieldInput } from './siem-fields.js';
import type { UpdateKindDeclaration, UpdatePackageReader, UpdatePackageRefs } from './update-packages.js';
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
  /**
   * The current update package of each kind the module declares in `updateKinds` (absent kinds
   * have none yet). Naming it in the compiled configuration makes a new package a new
   * configuration version, so the module is applied again once the agent holds it.
   */
  readonly updates?: UpdatePackageRefs;
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

export interface ModuleSnapshotPresentation {
  /**
   * The word users know the copy by, e.g. `baseline`: it also names an alias route
   * `GET /api/computers/{id}/<module>/<noun>` (query `rule` for a snapshot's name) and the CLI
   * verb `bulwark computers <noun> ID`.
   */
  readonly noun: string;
  /** One line for `--help` and the API docs. */
  readonly summary: string;
}

export interface EventPresentation {
  /** Short title for lists, e.g. "SSH brute force" or "Port scan from 10.0.0.3". */
  readonly title: string;
}

/** A rule of a module's own engine that its events name, finer than the rules one assigns. */
export interface InnerRule {
  /** The id as the module's events carry it in `ruleId`. */
  readonly id: string;
  readonly description: string;
  /** The catalogue rule whose assignment runs it; null when no assignable rule does. */
  readonly assignableRuleId: string | null;
  /** Further facts worth showing with it (a level, groups), as JSON. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A custom rule that stops one inner rule's events where it is assigned, or why there is none. */
export type SilencingRule =
  | { readonly rule: { readonly id: string; readonly [key: string]: unknown } }
  | { readonly refused: string };

/** A rule file in a format the module loads, turned into catalogue rules (`bulwark rules import`). */
export interface RuleFileImport {
  /** Rules the module accepts whole, each with a string `id`; they fit `ruleSchema`. */
  readonly rules: readonly { readonly id: string; readonly [key: string]: unknown }[];
  /** Rules of the file the module refuses whole: where (1-based line), which id if known, why. */
  readonly refused: readonly { readonly line: number; readonly id?: string; readonly reason: string }[];
  /** Lines that hold no rule to load (comments, rules commented out, blank lines), counted. */
  readonly skippedLines: number;
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
  /**
   * The kinds of update packages (update-packages.ts) this module consumes: an administrator
   * imports content for them (`bulwark updates import KIND FILE`), agents download it.
   */
  readonly updateKinds?: readonly UpdateKindDeclaration[];
  /**
   * Reads the entries of a setting that is a list of strings from a file in a format
   * administrators already have (`bulwark lists import KEY FILE --format F`); the CLI runs it and
   * stores the entries through the settings API, where `checkSetting` checks them again. Pure.
   */
  readonly listImport?: ListImporter;
  /** Schema of one rule of this module, for rules created through the API. */
  readonly ruleSchema?: TSchema;
  /** Rules shipped with the module; each has a string `id` unique within the module. */
  readonly builtInRules?: readonly { readonly id: string; readonly [key: string]: unknown }[];
  /** Rule ids to propose for a host with this inventory (recommendation scan). */
  recommend?(inventory: Inventory): readonly string[];
  /**
   * Which of the rules a recommendation scan is about to assign by itself (`candidates`, given
   * the rules already in force at the computer, `inForce`) must only be proposed, and why.
   * Auto-apply must never change what is blocked for traffic the scan did not look at, so a
   * module whose rules can block answers for every candidate that would narrow what the host lets
   * through (a firewall allow rule that turns on an implicit deny, a deny rule). Without this
   * hook every recommended rule may be auto-applied. Pure.
   */
  autoApplyRefusals?(
    candidates: readonly AssignedRule[],
    inForce: readonly AssignedRule[],
  ): readonly { readonly id: string; readonly reason: string }[];
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
  /**
   * What the manager's copies of this module's snapshots are (module-snapshots.ts), for the
   * generic `GET /api/computers/{id}/modules/{module}/snapshots` route and the CLI; absent when
   * the module offers none.
   */
  readonly snapshots?: ModuleSnapshotPresentation;
  presentEvent?(event: AgentEvent): EventPresentation;
  /**
   * The event's module-specific fields in SIEM vocabularies (CEF keys, LEEF attributes), in a
   * stable order, for forwarding in CEF and LEEF. Pure; a module without it forwards only the
   * common fields and its `details` as JSON.
   */
  siemFields?(event: SiemFieldInput): readonly SiemField[];
  /**
   * Every `type` the module's events carry. With it the API refuses an event search for a type no
   * module emits (a typo would otherwise find nothing) and lists the types there are.
   */
  readonly eventTypes?: readonly string[];
  /**
   * For a module whose events name rules of its engine rather than catalogue rules (log
   * inspection's 100302 runs as part of the group rule `loginspect.su`): the inner rule behind an
   * id that is not in the catalogue, so an event leads to the rule to assign, exclude or override.
   * Undefined for an id the module does not know. Pure.
   */
  innerRule?(ruleId: string): InnerRule | undefined;
  /**
   * The custom rule that silences one inner rule where it is assigned (`bulwark rules silence`):
   * the same id and definition for the same inner rule every time, so silencing twice reuses it.
   */
  silencingRule?(ruleId: string): SilencingRule;
  /**
   * Reads a rule file in a format the module loads unmodified (IPS: Suricata `.rules`) into
   * custom rules, each refused whole with a reason when the module could not evaluate it in full.
   * With it, `POST /api/modules/{id}/rules/import` and `bulwark rules import` take such files;
   * a rule whose id exists as a custom rule replaces it. Pure.
   */
  importRules?(text: string): RuleFileImport;
}

export interface ListImportResult {
  readonly items: readonly string[];
  /** The first errors, each with its line; `errorCount` counts them all. */
  readonly errors: readonly { readonly line: number; readonly message: string }[];
  readonly errorCount: number;
}

export interface ListImporter {
  /** Format names for `--format`, the first being the default. */
  readonly formats: readonly string[];
  /** Help for the options `read` takes (`--column` say), as [flag, explanation] pairs. */
  readonly optionHelp: readonly (readonly [string, string])[];
  /** `options`: `column`, `risk-column`, … as the CLI was given them. */
  read(
    format: string,
    text: string,
    options: Readonly<Record<string, string>>,
  ): ListImportResult | { readonly refused: string };
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

/**
 * Where a source (a log file, the journal) stands, under a key of the module's choosing (one key
 * per file, say). `value` null forgets the key.
 */
export interface SourceCheckpoint {
  readonly key: string;
  readonly value: string | null;
}

/** What became of an event handed to the spool. */
export type EmitOutcome =
  /** Numbered and queued: it is committed (fsynced) with the checkpoints given alongside it. */
  | { readonly kind: 'spooled'; readonly seq: number }
  /** Below the platform's minimum severity: counted, not kept. The source moves on. */
  | { readonly kind: 'clipped' }
  /** Not a valid event: counted, not kept. The source moves on. */
  | { readonly kind: 'invalid'; readonly reason: string }
  /**
   * Not stored: the spool cannot write (a full disk). Nothing of the call was kept, its
   * checkpoints included; the source keeps its place and offers the event again later.
   */
  | { readonly kind: 'full'; readonly reason: string };

/**
 * The spool as a source that can read again what it read sees it: each event is committed in the
 * same transaction as the source's position after it, so that a crash loses both or neither
 * (no event is spooled twice, none is skipped), and a spool that cannot write says so instead of
 * dropping the event.
 */
export interface SourceSpool {
  /** The module's checkpoints as last handed to the spool (committed, or queued for the next commit). */
  checkpoints(): ReadonlyMap<string, string>;
  /** Spools the event together with the checkpoints; on `full` neither is kept. */
  emit(event: NewEvent, checkpoints: readonly SourceCheckpoint[]): EmitOutcome;
  /** Queues checkpoints alone (records that raised no event), committed with the next batch. */
  advance(checkpoints: readonly SourceCheckpoint[]): void;
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
  /**
   * Settles once the agent's first heartbeat of this run has ended: it reached the manager (and
   * any new configuration was fetched and applied), or it failed. A module that replays a
   * backlog (log lines written while the agent was stopped) waits for it, so that work on a
   * hostile backlog cannot keep a restarting agent from ever reaching its manager; protection
   * itself (filters, hooks) is applied at once. Absent when the runtime has no manager (tests).
   */
  readonly firstContact?: Promise<void>;
  readonly log: ModuleLogger;
  /**
   * Spools an event durably; the agent numbers and uploads it. Never throws. An event the spool
   * cannot store (a full disk) is counted as lost and reported; a source that can read its
   * records again uses `sourceSpool` instead, and loses nothing.
   */
  emit(event: NewEvent): void;
  /** Spooling with checkpoints, for sources that can read again; absent in most unit tests. */
  readonly sourceSpool?: SourceSpool;
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
  /**
   * The update packages the agent holds, verified (update-packages.ts); absent where the runtime
   * keeps none (unit tests). A module is applied again whenever one of its packages changes.
   */
  readonly updates?: UpdatePackageReader;
}

export interface AgentModule {
  readonly id: string;
  /**
   * Makes the host match this configuration. Idempotent: applying the same configuration twice
   * changes nothing. `enabled: false` stops the module. A module that cannot run on this host
   * (no root, no kernel feature) reports `unavailable` from status() instead of throwing.
   */
  apply(configuration: ModuleConfiguration, platform: PlatformSettings): Promise<void>;
  /**
   * Ends the module's work in this process. Kernel hooks that enforce without the process (an
   * nftables table) stay in force, so a restart or a crash of the agent leaves the host protected.
   */
  stop(): Promise<void>;
  /**
   * Removes from the host every kernel hook this module installed that outlives the agent process
   * (nftables tables, NFQUEUE steering), and stops the module. Called when the agent is
   * deactivated, locally or by the manager; possibly on a fresh instance in another process
   * (`bulwark-agent deactivate` with the daemon stopped), so what was installed must be known from
   * the module's data dir, not from memory. Removes only what this module installed; throws when a
   * hook could not be removed. Modules whose hooks end with the process (fanotify) need not have it.
   */
  removeFromHost?(): Promise<void>;
  /**
   * The kernel hooks of this module in force now that would stay after stop(), each described
   * for an administrator (e.g. "nftables tables inet bulwark and arp bulwark"); empty when none.
   */
  kernelHooks?(): readonly string[];
  status(): ModuleStatus;
  /** Actions such as "scan now"; unknown commands return a rejected promise with a clear message. */
  run?(command: string, args: Readonly<Record<string, unknown>>): Promise<unknown>;
}

/**
 * A command the host's administrator runs as `bulwark-agent <verb> …`, without the daemon or
 * the manager (an on-demand scan of a path, say). The agent's CLI offers it without naming the
 * module.
 */
export interface AgentLocalCommand {
  /** `bulwark-agent <verb>`: lower-case words joined by dashes; must not be one of the agent's own. */
  readonly verb: string;
  /** The arguments for `--help`, e.g. `PATH… [--json]`. */
  readonly usage: string;
  readonly summary: string;
  /** Runs it; resolves to the exit code. `dataDir` is the module's data directory on this host. */
  run(
    args: readonly string[],
    io: { readonly out: (text: string) => void; readonly err: (text: string) => void; readonly dataDir: string },
  ): Promise<number>;
}

export interface AgentModuleFactory {
  readonly id: string;
  create(context: AgentModuleContext): AgentModule;
  /** Commands run on the host itself (`bulwark-agent <verb>`); optional. */
  readonly localCommands?: readonly AgentLocalCommand[];
}
