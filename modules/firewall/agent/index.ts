import type { AgentModuleFactory } from '@bulwark/protocol';
import { FIREWALL_MODULE_ID } from '../engine/index.js';
import { FirewallAgent, type FirewallAgentOptions } from './firewall-agent.js';

export { hostNft, type NftRunner, namespaceNft, runCommand } from './command-runner.js';
export { FirewallAgent, type FirewallAgentOptions } from './firewall-agent.js';
export { kernelPacketLog, type PacketLogOpener } from './packet-source.js';

/** The agent side of the firewall, for the agent's module registry. */
export function firewallAgentFactory(options: FirewallAgentOptions = {}): AgentModuleFactory {
  return { id: FIREWALL_MODULE_ID, create: (context) => new FirewallAgent(context, options) };
}

export const agentModule: AgentModuleFactory = firewallAgentFactory();
