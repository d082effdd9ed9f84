export { defaultHostPaths, type HostPaths, readHostSources } from './host-sources.js';
export { agentModule, createInventoryModuleFactory } from './inventory-agent-module.js';
