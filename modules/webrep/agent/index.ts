export {
  agentModule,
  createWebrepAgentModule,
  DEFAULT_WEBREP_QUEUE,
  type WebrepAgentOptions,
} from './webrep-agent-module.js';
