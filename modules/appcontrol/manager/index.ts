export { managerModule } from './appcontrol-definition.js';
export { AppcontrolSettings } from './appcontrol-settings.js';
