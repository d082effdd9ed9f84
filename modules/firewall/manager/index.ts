import type { AgentEvent, EventPresentation, ManagerModule } from '@bulwark/protocol';
import {
  buildConfiguration,
  FIREWALL_MODULE_ID,
  type FirewallConfiguration,
  FirewallEventTypes,
  FirewallRule,
  FirewallSettings,
  RECON_TITLES,
  type ReconKind,
} from '../engine/index.js';
import { BUILT_IN_RULES } from '../rules/built-in-rules.js';
import { firewallAutoApplyRefusals } from './auto-apply.js';
import { checkFirewallRule } from './check-rule.js';
import { checkFirewallSetting, explainFirewallSettingIssues } from './check-setting.js';
import { firewallCommands } from './commands.js';
import { recommend } from './recommend.js';
import { firewallSiemFields } from './siem-fields.js';

export { validateLists, validateRule } from '../engine/index.js';
export { BUILT_IN_RULES } from '../rules/built-in-rules.js';
export { firewallAutoApplyRefusals } from './auto-apply.js';
export { checkFirewallRule } from './check-rule.js';
export { checkFirewallSetting, explainFirewallSettingIssues } from './check-setting.js';
export { recommend } from './recommend.js';

function presentEvent(event: AgentEvent): EventPresentation {
  const details = event.details ?? {};
  if (event.type === 'reconnaissance') {
    const title = RECON_TITLES[details.kind as ReconKind] ?? 'Reconnaissance';
    return { title: `${title} from ${String(details.source ?? 'unknown source')}` };
  }
  const count = typeof details.repeatCount === 'number' && details.repeatCount > 1 ? ` ×${details.repeatCount}` : '';
  return { title: `${event.action ?? 'Firewall'}: ${String(details.rule ?? event.ruleId ?? 'rule')}${count}` };
}

/** The manager side of the firewall, for the manager's module registry. */
export const managerModule: ManagerModule<typeof FirewallSettings> = {
  id: FIREWALL_MODULE_ID,
  name: 'Firewall',
  description:
    'Stateful packet filter compiled to nftables from policy rules, with port-scan, network-sweep and stealth-probe detection.',
  settings: FirewallSettings,
  ruleSchema: FirewallRule,
  builtInRules: BUILT_IN_RULES,
  recommend,
  autoApplyRefusals: firewallAutoApplyRefusals,
  compile: (input): FirewallConfiguration => buildConfiguration(input.settings, input.rules),
  checkRule: checkFirewallRule,
  checkSetting: checkFirewallSetting,
  explainSettingIssues: explainFirewallSettingIssues,
  commands: firewallCommands,
  presentEvent,
  siemFields: firewallSiemFields,
  eventTypes: Object.values(FirewallEventTypes),
};

export default managerModule;
