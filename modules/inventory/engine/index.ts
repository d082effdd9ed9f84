export { parseDpkgStatus } from './dpkg-status.js';
export { assembleInventory, type InventorySources } from './inventory-assembly.js';
export { InventoryAgentConfiguration } from './inventory-configuration.js';
export { type OsRelease, parseOsRelease } from './os-release.js';
export type { Parsed } from './parsed.js';
export { parsePasswd } from './passwd.js';
export { type BoundSocket, parseProcNet } from './proc-net.js';
export { parseRpmQuery, RPM_QUERY_FORMAT } from './rpm-query.js';
export {
  mergeServices,
  parseSystemctlUnitFiles,
  parseSystemctlUnits,
  SYSTEMCTL_LIST_UNIT_FILES,
  SYSTEMCTL_LIST_UNITS,
} from './systemctl.js';
