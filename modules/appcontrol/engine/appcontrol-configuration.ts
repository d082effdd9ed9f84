import { type Static, Type } from '@sinclair/typebox';

export const Mode = Type.Union([Type.Literal('block-unrecognized'), Type.Literal('allow-unrecognized')]);
export type Mode = Static<typeof Mode>;

/** Directories an inventory may cover, at most. */
export const MAX_ROOTS = 64;

/** The settings as the agent applies them (the manager turns maintenanceUntil into ms). */
export const AgentSettings = Type.Object(
  {
    mode: Mode,
    /** End of the maintenance window, ms since the epoch; null when off. */
    maintenanceUntilMs: Type.Union([Type.Number(), Type.Null()]),
    trustPackageManagers: Type.Boolean(),
    roots: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: MAX_ROOTS }),
    /** Mount points enforced; empty = every mount of a local filesystem type. */
    enforcedMounts: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), { maxItems: 256 }),
    checkInterpreters: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type AgentSettings = Static<typeof AgentSettings>;

/**
 * What the manager compiles for one computer and the agent applies. Rules are checked again on
 * the agent (the engine is the same), refused ones named in `rejectedRules`.
 */
export const AppcontrolConfiguration = Type.Object(
  {
    settings: AgentSettings,
    rules: Type.Array(Type.Unknown(), { maxItems: 10_000 }),
    rejectedRules: Type.Array(
      Type.Object({ id: Type.String(), reason: Type.String() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type AppcontrolConfiguration = Static<typeof AppcontrolConfiguration>;
