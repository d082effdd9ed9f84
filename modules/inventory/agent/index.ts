export { defaultHostPaths, type HostPaths, readHostSources } from './host-sources.js';
export { createInventoryModuleFactory, inventoryModuleFactory } from './inventory-agent-module.js';
