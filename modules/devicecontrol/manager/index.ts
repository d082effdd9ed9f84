export { managerModule } from './devicecontrol-definition.js';
export { DevicecontrolSettings } from './devicecontrol-settings.js';
