import { managerModule as antimalware } from '@bulwark/module-antimalware/manager';
import { managerModule as appcontrol } from '@bulwark/module-appcontrol/manager';
import { managerModule as devicecontrol } from '@bulwark/module-devicecontrol/manager';
import { managerModule as firewall } from '@bulwark/module-firewall/manager';
import { managerModule as integrity } from '@bulwark/module-integrity/manager';
import { managerModule as inventory } from '@bulwark/module-inventory/manager';
import { managerModule as ips } from '@bulwark/module-ips/manager';
import { managerModule as loginspect } from '@bulwark/module-loginspect/manager';
import { managerModule as webrep } from '@bulwark/module-webrep/manager';
import type { ManagerModule } from '@bulwark/protocol';

/**
 * Every protection module the manager knows. Adding a module is one import and one entry here
 * (each module exports its manager side as `managerModule`; `npm run new-module` adds both lines).
 */
// biome-ignore lint/suspicious/noExplicitAny: modules differ in their settings schema type
export const managerModules: readonly ManagerModule<any>[] = [
  inventory,
  integrity,
  firewall,
  loginspect,
  ips,
  devicecontrol,
  appcontrol,
  webrep,
  antimalware,
];
