import type { ModuleCommandDefinition } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';

/** What the firewall agent's `run()` takes, so the API refuses a typo before an agent sees it. */
export const firewallCommands: readonly ModuleCommandDefinition[] = [
  {
    name: 'list-blocked',
    description: 'The sources that reconnaissance detection blocks now, with their expiry',
    arguments: Type.Object({}, { additionalProperties: false }),
  },
  {
    name: 'unblock',
    description: 'Lift the block of one source address before it expires (a false positive)',
    arguments: Type.Object({ address: Type.String({ minLength: 2, maxLength: 64 }) }, { additionalProperties: false }),
  },
];
