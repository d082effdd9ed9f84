import type { AgentModuleContext } from '@bulwark/protocol';
import type { IpsTrafficPort } from './traffic-port.js';

/**
 * The traffic engine's runtime on this host, behind the port the IPS agent uses. Until the
 * runtime of packages/traffic is merged into this branch the module says so and stays unavailable.
 */
export function hostTrafficPort(_context: AgentModuleContext): IpsTrafficPort {
  const reason = 'the traffic engine runtime is not part of this build';
  return {
    start: async () => ({ ok: false, reason }),
    removeFromHost: async () => ({ ok: true }),
  };
}
