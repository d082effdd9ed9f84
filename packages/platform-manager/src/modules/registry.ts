import { firewallManager } from '@bulwark/module-firewall/manager';
import { integrityModule } from '@bulwark/module-integrity/manager';
import { inventoryModule } from '@bulwark/module-inventory/manager';
import { loginspectModule } from '@bulwark/module-loginspect/manager';
import type { ManagerModule } from '@bulwark/protocol';

/** Every protection module the manager knows. Adding a module is one import and one entry here. */
// biome-ignore lint/suspicious/noExplicitAny: modules differ in their settings schema type
export const managerModules: readonly ManagerModule<any>[] = [
  inventoryModule,
  integrityModule,
  firewallManager,
  loginspectModule,
];
