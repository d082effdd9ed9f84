import { type Static, Type } from '@sinclair/typebox';

export const InventorySettings = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Collect and report the host inventory' }),
    intervalSeconds: Type.Integer({
      minimum: 60,
      maximum: 604_800,
      default: 3600,
      description: 'Seconds between two collections (the agent sends only changed inventories)',
    }),
  },
  { additionalProperties: false },
);
export type InventorySettings = Static<typeof InventorySettings>;
