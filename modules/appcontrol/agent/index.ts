export { agentModule } from './appcontrol-agent-module.js';
