export { managerModule } from './ips-definition.js';
export { IpsSettings } from './ips-settings.js';
