export { agentModule } from './appcontrol-agent-module.js';
export { MAX_READ_ATTEMPTS, readExecutable } from './executable-reader.js';
export { type InventoryWalk, MAX_INVENTORY_FILES, walkInventory } from './inventory-walker.js';
