import { type Static, Type } from '@sinclair/typebox';

/**
 * What the manager compiles for one computer and the agent applies: the module's part of the
 * security configuration. It lives in engine/ because both sides use it and the agent must
 * never import the manager.
 */
export const AppcontrolConfiguration = Type.Object(
  {
    rules: Type.Array(Type.Unknown(), { maxItems: 10_000 }),
  },
  { additionalProperties: false },
);
export type AppcontrolConfiguration = Static<typeof AppcontrolConfiguration>;
