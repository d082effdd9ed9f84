export { managerModule } from './template-definition.js';
export { TemplateSettings } from './template-settings.js';
