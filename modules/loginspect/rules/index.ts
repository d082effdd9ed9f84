import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RulesetInput } from '../engine/index.js';

/**
 * The built-in ruleset shipped with the module: decoders and rules for Linux servers in the
 * OSSEC/Wazuh format, and, per rule group, the packages and services that make it worth enabling.
 */
const here = import.meta.dirname;

export const BUILT_IN_DECODER_FILES = ['linux_decoders.xml'] as const;
export const BUILT_IN_RULE_FILES = ['linux_rules.xml'] as const;

export function builtInRuleset(): RulesetInput {
  const read = (name: string) => ({ name: `rules/${name}`, content: readFileSync(join(here, name), 'utf8') });
  return { decoders: BUILT_IN_DECODER_FILES.map(read), rules: BUILT_IN_RULE_FILES.map(read) };
}

interface GroupRecommendation {
  readonly description?: string;
  readonly packages?: readonly string[];
  readonly services?: readonly string[];
  readonly always?: boolean;
}

function recommendations(): Readonly<Record<string, GroupRecommendation>> {
  const parsed = JSON.parse(readFileSync(join(here, 'recommendations.json'), 'utf8')) as {
    groups: Record<string, GroupRecommendation>;
  };
  return parsed.groups;
}

/**
 * Rule groups to enable on a host with these packages and services; `everything` lists every
 * group that has a recommendation (for checks that none is missing).
 */
export function recommendedGroups(
  host: { readonly packages: readonly string[]; readonly services: readonly string[] },
  everything = false,
): Set<string> {
  const packages = new Set(host.packages);
  const services = new Set(host.services.map((s) => s.replace(/\.service$/, '')));
  const out = new Set<string>();
  for (const [group, r] of Object.entries(recommendations())) {
    if (everything || r.always || r.packages?.some((p) => packages.has(p)) || r.services?.some((s) => services.has(s)))
      out.add(group);
  }
  return out;
}

/** Each built-in rule group with a line saying what it watches. */
export function ruleGroupDescriptions(): Record<string, string> {
  return Object.fromEntries(Object.entries(recommendations()).map(([g, r]) => [g, r.description ?? g]));
}
