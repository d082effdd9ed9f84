import { type AssignedRule, parseWith, type RuleCheckContext, type ValidationIssue } from '@bulwark/protocol';
import {
  emptyLists,
  type FirewallLists,
  FirewallRule,
  type FirewallSettings,
  validateLists,
  validateRule,
} from '../engine/index.js';

type ListKind = keyof FirewallLists;

const LIST_NAMES: Readonly<Record<ListKind, string>> = {
  ipLists: 'IP list',
  macLists: 'MAC list',
  portLists: 'port list',
};

/** Where a rule names lists: the JSON pointer of each reference and the kind of list it names. */
function listReferences(rule: FirewallRule): { path: string; kind: ListKind; id: string }[] {
  const out: { path: string; kind: ListKind; id: string }[] = [];
  const add = (base: string, kind: ListKind, ids: readonly string[] | undefined) =>
    ids?.forEach((id, i) => {
      out.push({ path: `${base}/${kind}/${i}`, kind, id });
    });
  add('/source', 'ipLists', rule.source?.ipLists);
  add('/destination', 'ipLists', rule.destination?.ipLists);
  add('/sourcePorts', 'portLists', rule.sourcePorts?.portLists);
  add('/destinationPorts', 'portLists', rule.destinationPorts?.portLists);
  add('/sourceMac', 'macLists', rule.sourceMac?.macLists);
  return out;
}

/**
 * Lists as the compiler uses them: one with an entry it cannot read is dropped whole (see
 * buildConfiguration), so a rule naming it would be dropped too. `broken` says why, per list.
 */
function usableLists(lists: FirewallLists): { usable: FirewallLists; broken: Map<string, string> } {
  const issues = validateLists(lists);
  const broken = new Map<string, string>();
  const keep = <K extends ListKind>(kind: K): FirewallLists[K] =>
    lists[kind].filter((list, index) => {
      const own = issues.filter((i) => i.path.startsWith(`/${kind}/${index}/`));
      if (own.length === 0) return true;
      broken.set(`${kind}:${list.id}`, `${own[0]?.path}: ${own[0]?.message}`);
      return false;
    }) as FirewallLists[K];
  return { usable: { ipLists: keep('ipLists'), macLists: keep('macLists'), portLists: keep('portLists') }, broken };
}

/** The rule as compile sees it: the definition with the overrides on top and the assigned id. */
export function mergedRule(rule: AssignedRule): unknown {
  return typeof rule.definition === 'object' && rule.definition !== null
    ? { ...rule.definition, ...rule.overrides, id: rule.id }
    : rule.definition;
}

/**
 * The firewall's `checkRule`: every reason buildConfiguration would leave this rule out, with
 * the field to change. In place (settings given) a list must exist in that level's `firewall.lists`
 * and be usable there; checked on its own it must exist in the lists of some policy or computer.
 */
export function checkFirewallRule(
  rule: AssignedRule,
  context: RuleCheckContext<FirewallSettings>,
): readonly ValidationIssue[] {
  const candidate = mergedRule(rule);
  const parsed = parseWith(FirewallRule, candidate);
  if (!parsed.ok) {
    const checked = validateRule(candidate, emptyLists);
    return checked.ok ? parsed.issues : checked.issues;
  }
  const sets = (context.settings ? [context.settings] : context.everywhere).map((s) => usableLists(s.lists));
  const exists = (kind: ListKind, id: string) => sets.some((s) => s.usable[kind].some((l) => l.id === id));
  const references = listReferences(parsed.value);
  // In place, the lists as they are there (families matter: IPv6 entries in an IPv4 rule). On its
  // own, names only: the entries may differ from level to level. Missing lists get an empty
  // stand-in so that validateRule checks everything else and the messages below say where to add them.
  const lists: FirewallLists =
    context.settings && sets[0] ? copyLists(sets[0].usable) : namesOnly(sets.map((s) => s.usable));
  for (const ref of references) {
    if (lists[ref.kind].some((l) => l.id === ref.id)) continue;
    if (ref.kind === 'ipLists') lists.ipLists.push({ id: ref.id, name: ref.id, addresses: [] });
    else if (ref.kind === 'macLists') lists.macLists.push({ id: ref.id, name: ref.id, macs: [] });
    else lists.portLists.push({ id: ref.id, name: ref.id, ports: [] });
  }
  const checked = validateRule(candidate, lists);
  const issues: ValidationIssue[] = checked.ok ? [] : [...checked.issues];
  for (const ref of references) {
    if (exists(ref.kind, ref.id)) continue;
    const what = `${LIST_NAMES[ref.kind]} "${ref.id}"`;
    const brokenWhy = sets.map((s) => s.broken.get(`${ref.kind}:${ref.id}`)).find((w) => w !== undefined);
    issues.push({
      path: ref.path,
      message: brokenWhy
        ? `${what} has an entry the firewall cannot use (${brokenWhy}); fix it in firewall.lists`
        : context.settings
          ? `${what} is not in the firewall.lists in effect here; add it to firewall.lists.${ref.kind} or remove the reference`
          : `${what} is not in firewall.lists.${ref.kind} of any policy or computer; add the list first`,
    });
  }
  return issues;
}

function copyLists(lists: FirewallLists): FirewallLists {
  return { ipLists: [...lists.ipLists], macLists: [...lists.macLists], portLists: [...lists.portLists] };
}

/** Every list id of any of the sets, without entries. */
function namesOnly(sets: readonly FirewallLists[]): FirewallLists {
  const out: FirewallLists = { ipLists: [], macLists: [], portLists: [] };
  const seen = new Set<string>();
  for (const lists of sets) {
    for (const kind of Object.keys(LIST_NAMES) as ListKind[]) {
      for (const { id } of lists[kind]) {
        if (seen.has(`${kind}:${id}`)) continue;
        seen.add(`${kind}:${id}`);
        if (kind === 'ipLists') out.ipLists.push({ id, name: id, addresses: [] });
        else if (kind === 'macLists') out.macLists.push({ id, name: id, macs: [] });
        else out.portLists.push({ id, name: id, ports: [] });
      }
    }
  }
  return out;
}
