import type { ModuleCommandDefinition } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';

const RULE_OPTION = [{ flag: 'rule', argument: 'ruleId', help: 'only this integrity rule' }] as const;

const RuleArgument = Type.Optional(
  Type.String({ minLength: 1, description: 'One assigned integrity rule id; all assigned rules when absent' }),
);

/** What the integrity agent's `run()` takes, so the API refuses a typo before an agent sees it. */
export const integrityCommands: readonly ModuleCommandDefinition[] = [
  {
    name: 'scan',
    description: 'Scan now and report every change against the baseline as events',
    arguments: Type.Object({ ruleId: RuleArgument }, { additionalProperties: false }),
    cli: {
      verb: 'scan-integrity',
      summary: 'Scan the computer against its integrity baseline now (changes arrive as events)',
      options: RULE_OPTION,
    },
  },
  {
    name: 'rebuild-baseline',
    description: 'Build the baseline again from what is on the host now (accepts the current state)',
    arguments: Type.Object({ ruleId: RuleArgument }, { additionalProperties: false }),
    cli: {
      verb: 'rebuild-baseline',
      summary: "Rebuild the computer's integrity baseline (the manager's copy follows)",
      options: RULE_OPTION,
    },
  },
  {
    name: 'export-baseline',
    description: 'Return baseline entries of one rule (offset/limit), or the per-rule summary without ruleId',
    arguments: Type.Object(
      {
        ruleId: RuleArgument,
        offset: Type.Optional(Type.Integer({ minimum: 0 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
      },
      { additionalProperties: false },
    ),
  },
];
