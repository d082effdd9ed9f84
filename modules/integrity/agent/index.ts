import type { AgentModuleFactory } from '@bulwark/protocol';
import { IntegrityAgentModule } from './integrity-agent-module.js';

export { IntegrityAgentModule, type IntegrityAgentOptions } from './integrity-agent-module.js';

export const agentModule: AgentModuleFactory = {
  id: 'integrity',
  create: (context) => new IntegrityAgentModule(context),
};
