import type { ProblemLog } from './problem.js';
import type { Rule } from './rule.js';

/**
 * Rules form a tree as in OSSEC. Only the template rules (ids below 10, one per category) are
 * tried for every event; a rule without if_sid/if_group/if_level becomes a child of the template
 * of its category, others children of their parents; the children of a matching rule are tried
 * next and the deepest match wins. Siblings are ordered by priority, highest first, keeping load
 * order among equals; OSSEC gives level 0 (grouping and ignore rules) the highest priority.
 */
export interface RuleTree {
  readonly topRules: Rule[];
  readonly rulesById: Map<number, Rule>;
}

const TEMPLATE_ID_LIMIT = 10;

function priority(rule: Rule): number {
  return rule.level === 0 ? 99 : rule.level;
}

function insertByLevel(list: Rule[], rule: Rule): void {
  const p = priority(rule);
  let i = 0;
  while (i < list.length && priority(list[i] as Rule) >= p) i++;
  list.splice(i, 0, rule);
}

export function buildRuleTree(rules: readonly Rule[], problems: ProblemLog): RuleTree {
  const byId = new Map<number, Rule>();
  for (const r of rules) byId.set(r.id, r);
  const byGroup = new Map<string, Rule[]>();
  for (const r of rules) for (const g of r.groups) byGroup.set(g, [...(byGroup.get(g) ?? []), r]);

  const refused = new Set<number>();
  // A rule refused for an unknown parent can orphan its own children; repeat until stable.
  for (let changed = true; changed; ) {
    changed = false;
    for (const r of rules) {
      if (refused.has(r.id) || r.ifSid.length === 0) continue;
      const known = r.ifSid.filter((sid) => byId.has(sid) && !refused.has(sid));
      if (known.length === 0) {
        refused.add(r.id);
        changed = true;
        problems.error(r.file, r.line, `rule ${r.id}: if_sid ${r.ifSid.join(',')} names no loaded rule; rule refused`);
      }
    }
  }
  for (const r of rules) {
    if (refused.has(r.id)) continue;
    const unknown = r.ifSid.filter((sid) => !byId.has(sid) || refused.has(sid));
    if (unknown.length > 0 && unknown.length < r.ifSid.length) {
      problems.warning(
        r.file,
        r.line,
        `rule ${r.id}: if_sid ${unknown.join(',')} names no loaded rule and was ignored`,
      );
    }
  }

  const topRules: Rule[] = [];
  const live = rules.filter((r) => !refused.has(r.id));
  const templates = new Map<string, Rule>();
  for (const r of live) {
    if (r.id < TEMPLATE_ID_LIMIT && !templates.has(r.category)) templates.set(r.category, r);
  }
  const loadIndex = new Map<Rule, number>();
  for (const [i, r] of live.entries()) loadIndex.set(r, i);
  for (const r of live) {
    if (r.ifSid.length > 0) {
      for (const sid of r.ifSid) {
        const parent = byId.get(sid);
        if (parent && !refused.has(sid)) insertByLevel(parent.children, r);
      }
    } else if (r.ifGroup.length > 0) {
      let attached = false;
      for (const g of r.ifGroup) {
        for (const parent of byGroup.get(g) ?? []) {
          // OSSEC attaches an if_group rule to the rules loaded before it.
          if (parent === r || refused.has(parent.id) || (loadIndex.get(parent) ?? 0) > (loadIndex.get(r) ?? 0))
            continue;
          insertByLevel(parent.children, r);
          attached = true;
        }
      }
      if (!attached)
        problems.warning(
          r.file,
          r.line,
          `rule ${r.id}: if_group ${r.ifGroup.join(',')} matches no rule; the rule can never fire`,
        );
    } else if (r.ifLevel !== undefined) {
      const min = r.ifLevel;
      for (const parent of live) if (parent !== r && parent.level >= min) insertByLevel(parent.children, r);
    } else {
      const template = templates.get(r.category);
      if (r.id < TEMPLATE_ID_LIMIT || !template) insertByLevel(topRules, r);
      else insertByLevel(template.children, r);
    }
  }

  // Break cycles (a rule reachable from itself) so evaluation always ends.
  const onPath = new Set<Rule>();
  const done = new Set<Rule>();
  const visit = (r: Rule): void => {
    if (done.has(r)) return;
    onPath.add(r);
    r.children = r.children.filter((c) => {
      if (onPath.has(c)) {
        problems.error(c.file, c.line, `rule ${c.id}: is its own ancestor through rule ${r.id}; that link was removed`);
        return false;
      }
      visit(c);
      return true;
    });
    onPath.delete(r);
    done.add(r);
  };
  for (const r of topRules) visit(r);

  const rulesById = new Map<number, Rule>();
  for (const r of live) rulesById.set(r.id, r);
  return { topRules, rulesById };
}
