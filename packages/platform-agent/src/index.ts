export { AGENT_VERSION } from './agent-version.js';
export { type RunningAgent, type StartAgentOptions, type StartAgentResult, startAgent } from './daemon/agent-daemon.js';
export { type AgentStatusReport, readAgentStatus } from './daemon/agent-status.js';
export { type ActivateOptions, type ActivateResult, activateAgent } from './identity/activation.js';
export { type DeactivateOptions, type DeactivateResult, deactivateAgent } from './identity/deactivation.js';
export { DEFAULT_DATA_DIR, readIdentity, resolveDataDir } from './identity/identity-store.js';
export { type AgentLogger, jsonLogger, silentLogger } from './log/json-logger.js';
export { agentModuleFactories } from './modules/registry.js';
export { EventSpool } from './spool/event-spool.js';
