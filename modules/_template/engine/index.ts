export { TemplateConfiguration } from './template-configuration.js';
export {
  type CompiledTemplateRules,
  compileTemplateRules,
  MAX_PATTERN_CHARS,
  matchTemplateRules,
  type RefusedRule,
  TemplateRule,
} from './template-rule.js';
