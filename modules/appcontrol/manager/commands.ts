import type { ModuleCommandDefinition } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';

/** What the appcontrol agent's `run()` takes, so the API refuses a typo before an agent sees it. */
export const appcontrolCommands: readonly ModuleCommandDefinition[] = [
  {
    name: 'build-inventory',
    description: 'Inventory the executables under the roots again and make it the baseline (accepts what is there now)',
    arguments: Type.Object({}, { additionalProperties: false }),
    cli: {
      verb: 'appcontrol-inventory',
      summary: "Rebuild the computer's software inventory now (the manager's copy follows)",
    },
  },
  {
    name: 'export-inventory',
    description: 'Return inventory entries (offset/limit), path order',
    arguments: Type.Object(
      {
        offset: Type.Optional(Type.Integer({ minimum: 0 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
      },
      { additionalProperties: false },
    ),
  },
];
