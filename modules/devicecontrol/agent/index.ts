export {
  agentModule,
  createDevicecontrolAgent,
  type DevicecontrolAgentOptions,
  type ListedDevice,
} from './devicecontrol-agent-module.js';
export type { DeviceActions, HostPaths } from './host-actions.js';
export type { UeventItem, UeventSource } from './uevent-source.js';
