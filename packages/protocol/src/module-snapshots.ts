import { type Static, Type } from '@sinclair/typebox';
import { COMMAND_NAME_PATTERN } from './agent-commands.js';

/**
 * Module snapshots: state a module keeps on the agent that the manager keeps a copy of, so it
 * can be inspected from the API (the integrity baseline of each rule is one snapshot, named by
 * the rule id). Agent-initiated like everything else: the agent offers the versions it holds,
 * the manager answers which it lacks, and the agent uploads those in pages. The copy is bounded:
 * at most MAX_SNAPSHOT_ENTRIES entries per snapshot, `total` says how many the agent holds.
 */

/** Entries of one snapshot the manager keeps; the agent keeps (and can export) all of them. */
export const MAX_SNAPSHOT_ENTRIES = 10_000;
export const SNAPSHOT_PAGE_ENTRIES = 500;
export const MAX_SNAPSHOTS_OFFERED = 1024;

const SnapshotName = Type.String({ minLength: 1, maxLength: 256 });

export const SnapshotRef = Type.Object(
  {
    module: Type.String({ pattern: COMMAND_NAME_PATTERN }),
    name: SnapshotName,
  },
  { additionalProperties: false },
);
export type SnapshotRef = Static<typeof SnapshotRef>;

export const SnapshotVersion = Type.Object(
  {
    module: Type.String({ pattern: COMMAND_NAME_PATTERN }),
    name: SnapshotName,
    version: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type SnapshotVersion = Static<typeof SnapshotVersion>;

/** Every snapshot the agent holds now; the manager forgets its copies of any not listed. */
export const SnapshotOffer = Type.Object(
  { snapshots: Type.Array(SnapshotVersion, { maxItems: MAX_SNAPSHOTS_OFFERED }) },
  { additionalProperties: false },
);
export type SnapshotOffer = Static<typeof SnapshotOffer>;

export const SnapshotOfferAnswer = Type.Object(
  { wanted: Type.Array(SnapshotRef, { description: 'Snapshots whose offered version the manager lacks' }) },
  { additionalProperties: false },
);
export type SnapshotOfferAnswer = Static<typeof SnapshotOfferAnswer>;

export const SnapshotEntry = Type.Object(
  {
    /** Display form of the entity key (a file path, a package name). */
    key: Type.String({ maxLength: 16_384 }),
    /** The raw key bytes when they are not UTF-8. */
    keyBase64: Type.Optional(Type.String({ maxLength: 8192 })),
    value: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown()),
  },
  { additionalProperties: false },
);
export type SnapshotEntry = Static<typeof SnapshotEntry>;

/** One page of a snapshot upload; pages of one version may be sent again (idempotent by offset). */
export const SnapshotPage = Type.Object(
  {
    module: Type.String({ pattern: COMMAND_NAME_PATTERN }),
    name: SnapshotName,
    version: Type.String({ minLength: 1, maxLength: 256 }),
    builtAt: Type.Optional(Type.String({ format: 'date-time' })),
    /** Entries the agent holds; more than MAX_SNAPSHOT_ENTRIES means the copy is cut. */
    total: Type.Integer({ minimum: 0 }),
    offset: Type.Integer({ minimum: 0, maximum: MAX_SNAPSHOT_ENTRIES }),
    entries: Type.Array(SnapshotEntry, { maxItems: SNAPSHOT_PAGE_ENTRIES }),
    /** The last page: the manager switches its copy to this version. */
    final: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type SnapshotPage = Static<typeof SnapshotPage>;

export const SnapshotPageAck = Type.Object(
  { stored: Type.Integer({ description: 'Entries of this version the manager holds so far' }) },
  { additionalProperties: false },
);
export type SnapshotPageAck = Static<typeof SnapshotPageAck>;

/** A snapshot as the module reads it for upload: consistent, at most `maxEntries` entries in key order. */
export interface ModuleSnapshot {
  readonly name: string;
  readonly version: string;
  readonly builtAt?: string;
  readonly total: number;
  readonly entries: readonly SnapshotEntry[];
}

/**
 * Optional part of the agent module contract (module-contract.ts `AgentModule`): a module that
 * keeps state the manager should hold a copy of implements both methods. The agent calls
 * `snapshots()` after each heartbeat and command (it must be cheap: no entry counts) and
 * `readSnapshot` only for the versions the manager asks for.
 */
export interface SnapshotSource {
  snapshots(): readonly { readonly name: string; readonly version: string }[];
  /** Undefined when the snapshot no longer exists (e.g. the rule was unassigned meanwhile). */
  readSnapshot(name: string, maxEntries: number): Promise<ModuleSnapshot | undefined>;
}

export function isSnapshotSource(module: object): module is SnapshotSource {
  const m = module as Partial<SnapshotSource>;
  return typeof m.snapshots === 'function' && typeof m.readSnapshot === 'function';
}
