export { agentModule } from './template-agent-module.js';
