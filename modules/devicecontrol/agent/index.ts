export { agentModule } from './devicecontrol-agent-module.js';
