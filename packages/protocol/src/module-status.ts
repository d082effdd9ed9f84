import { type Static, Type } from '@sinclair/typebox';

export const ModuleState = Type.Union([
  Type.Literal('on'),
  Type.Literal('off'),
  Type.Literal('error'),
  Type.Literal('unavailable'),
]);
export type ModuleState = Static<typeof ModuleState>;

/** What a module reports of itself in every heartbeat. `reason` is required for error and unavailable. */
export const ModuleStatus = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    state: ModuleState,
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
    counters: Type.Optional(Type.Record(Type.String(), Type.Number())),
  },
  { additionalProperties: false },
);
export type ModuleStatus = Static<typeof ModuleStatus>;
