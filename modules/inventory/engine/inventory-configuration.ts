import { type Static, Type } from '@sinclair/typebox';

/** The inventory module's part of a security configuration, as the manager compiles it. */
export const InventoryAgentConfiguration = Type.Object(
  { intervalSeconds: Type.Integer({ minimum: 60, maximum: 604_800 }) },
  { additionalProperties: false },
);
export type InventoryAgentConfiguration = Static<typeof InventoryAgentConfiguration>;
