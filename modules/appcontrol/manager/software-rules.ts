import type { InnerRule, SilencingRule } from '@bulwark/protocol';

/**
 * Events about one piece of software carry `ruleId` = `appcontrol.sha256.<hash>`: the software
 * itself, as an inner rule. Silencing it (`bulwark rules silence --computer C appcontrol <ruleId>`,
 * or `--policy P`) assigns an allow ruleset for that hash there: allowing from an event goes
 * through the platform's own rules and assignments, so `rules effective` shows where it is allowed.
 */
const SOFTWARE_RULE = /^appcontrol\.sha256\.([0-9a-f]{64})$/;

export function softwareRuleId(sha256: string): string {
  return `appcontrol.sha256.${sha256}`;
}

export function hashOfSoftwareRule(ruleId: string): string | undefined {
  return SOFTWARE_RULE.exec(ruleId)?.[1];
}

export function softwareInnerRule(ruleId: string): InnerRule | undefined {
  const hash = hashOfSoftwareRule(ruleId);
  if (hash === undefined) return undefined;
  return {
    id: ruleId,
    description: `The software with SHA-256 ${hash}; silence it to allow it where the silencing rule is assigned`,
    assignableRuleId: null,
    details: { sha256: hash, allowRuleId: allowRuleId(hash) },
  };
}

export function allowRuleId(hash: string): string {
  return `appcontrol.allow.${hash.slice(0, 32)}`;
}

export function blockRuleId(hash: string): string {
  return `appcontrol.block.${hash.slice(0, 32)}`;
}

/** The ruleset that allows one piece of software: the same id and content for the same hash. */
export function softwareSilencingRule(ruleId: string): SilencingRule {
  const hash = hashOfSoftwareRule(ruleId);
  if (hash === undefined)
    return {
      refused: `${ruleId} is not a piece of software; appcontrol events name software as appcontrol.sha256.<hash>`,
    };
  return {
    rule: {
      id: allowRuleId(hash),
      name: `Allow software ${hash.slice(0, 12)}`,
      description: `Allows the software with SHA-256 ${hash} (made from an event)`,
      action: 'allow',
      hashes: [hash],
    },
  };
}
