import { agentModule as antimalware } from '@bulwark/module-antimalware/agent';
import { agentModule as appcontrol } from '@bulwark/module-appcontrol/agent';
import { agentModule as devicecontrol } from '@bulwark/module-devicecontrol/agent';
import { agentModule as firewall } from '@bulwark/module-firewall/agent';
import { agentModule as integrity } from '@bulwark/module-integrity/agent';
import { agentModule as inventory } from '@bulwark/module-inventory/agent';
import { agentModule as ips } from '@bulwark/module-ips/agent';
import { agentModule as loginspect } from '@bulwark/module-loginspect/agent';
import { agentModule as webrep } from '@bulwark/module-webrep/agent';
import type { AgentModuleFactory } from '@bulwark/protocol';

/**
 * Every module this agent can run. Adding a module is one import and one entry here (each module
 * exports its agent side as `agentModule`; `npm run new-module` adds both lines).
 */
export const agentModuleFactories: readonly AgentModuleFactory[] = [
  inventory,
  integrity,
  firewall,
  loginspect,
  ips,
  devicecontrol,
  appcontrol,
  webrep,
  antimalware,
];
