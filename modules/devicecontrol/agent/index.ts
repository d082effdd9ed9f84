export type { ListedDevice } from './device-listing.js';
export { agentModule, createDevicecontrolAgent, type DevicecontrolAgentOptions } from './devicecontrol-agent-module.js';
export type { DeviceActions, HostPaths } from './host-actions.js';
export type { UeventItem, UeventSource } from './uevent-source.js';
