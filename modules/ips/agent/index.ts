export { agentModule } from './ips-agent-module.js';
