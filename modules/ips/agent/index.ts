import type { AgentModuleFactory } from '@bulwark/protocol';
import { compileIpsRules, createIpsInspector } from '../engine/index.js';
import { IpsAgent } from './ips-agent.js';
import { hostTrafficPort } from './traffic-runtime.js';

export { IpsAgent, type IpsAgentOptions } from './ips-agent.js';
export type { FindingsReport, IpsTrafficPort } from './traffic-port.js';

/** The agent side of the module: what the agent's registry lists. */
export const agentModule: AgentModuleFactory = {
  id: 'ips',
  create: (context) =>
    new IpsAgent(context, { engine: { compileIpsRules, createIpsInspector }, traffic: hostTrafficPort(context) }),
};
