export { managerModule } from './webrep-definition.js';
export { WebrepSettings } from './webrep-settings.js';
