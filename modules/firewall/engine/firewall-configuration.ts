import { type Static, Type } from '@sinclair/typebox';
import { FirewallSettings } from './firewall-settings.js';
import { FirewallLists, FirewallRule } from './rule-schema.js';

/**
 * The firewall's part of a computer's security configuration: the effective settings, the
 * validated rules with their overrides applied, the lists they use, and the assigned rules that
 * were left out because they are invalid (so the console can say why).
 */
export const FirewallConfiguration = Type.Object(
  {
    settings: Type.Omit(FirewallSettings, ['enabled', 'lists']),
    rules: Type.Array(FirewallRule),
    lists: FirewallLists,
    rejected: Type.Array(
      Type.Object({ ruleId: Type.String(), reason: Type.String() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type FirewallConfiguration = Static<typeof FirewallConfiguration>;
