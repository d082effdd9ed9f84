import { firewallAgent } from '@bulwark/module-firewall/agent';
import { integrityAgentModule } from '@bulwark/module-integrity/agent';
import { inventoryModuleFactory } from '@bulwark/module-inventory/agent';
import { loginspectAgentFactory } from '@bulwark/module-loginspect/agent';
import type { AgentModuleFactory } from '@bulwark/protocol';

/** Every module this agent can run. Adding a module is adding its factory here. */
export const agentModuleFactories: readonly AgentModuleFactory[] = [
  inventoryModuleFactory,
  integrityAgentModule,
  firewallAgent,
  loginspectAgentFactory,
];
