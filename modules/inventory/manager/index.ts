import type { ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { InventoryAgentConfiguration } from '../engine/index.js';
import { InventorySettings } from './inventory-settings.js';

export { InventorySettings } from './inventory-settings.js';

export const managerModule: ManagerModule<typeof InventorySettings> = {
  id: 'inventory',
  name: 'Inventory',
  description:
    'Reports what is installed and running on the host (operating system, packages, listening ports, services, local users); recommendation scans read it.',
  settings: InventorySettings,
  compile: ({ settings }): InventoryAgentConfiguration => ({ intervalSeconds: settings.intervalSeconds }),
  commands: [
    {
      name: 'collect-now',
      description: 'Collect the inventory now instead of at the next interval, and upload it',
      arguments: Type.Object({}, { additionalProperties: false }),
    },
  ],
  presentEvent: (event) => ({ title: event.summary }),
  eventTypes: [],
};
