export { checkoutDataDirs, parseManagerArguments } from './cli/manager-arguments.js';
export { createApiKeyCommandLine } from './cli/offline-api-key.js';
export { type AgentQuotaRates, DEFAULT_AGENT_QUOTA } from './http/agent-quota.js';
export {
  type ConnectionLimits,
  defaultListenerLimits,
  type ListenerLimits,
} from './http/connection-guard.js';
export { ProblemTypes, problemTypeUrn } from './http/problem-types.js';
export {
  DEFAULT_AGENT_PORT,
  DEFAULT_CONSOLE_PORT,
  defaultLoggerOptions,
  MANAGER_VERSION,
  type ManagerOptions,
  type RunningManager,
  startManager,
} from './manager.js';
export { certificateFingerprint, loadOrCreatePki, type ManagerPki } from './pki/certificate-authority.js';
