import { parseWith, type ValidationIssue } from '@bulwark/protocol';
import { type Family, parseAddressTerm, parseMac, parsePortTerm } from './address.js';
import { type FirewallLists, FirewallRule, type IpList, type MacList, type PortList } from './rule-schema.js';

export type RuleCheck<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

/** Checks one list's entries; `path` is where the list sits, for the messages. */
export function validateIpList(list: IpList, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  list.addresses.forEach((a, i) => {
    const r = parseAddressTerm(a);
    if (!r.ok) issues.push({ path: `${path}/addresses/${i}`, message: r.message });
  });
  return issues;
}

export function validateMacList(list: MacList, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  list.macs.forEach((m, i) => {
    const r = parseMac(m);
    if (!r.ok) issues.push({ path: `${path}/macs/${i}`, message: r.message });
  });
  return issues;
}

export function validatePortList(list: PortList, path: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  list.ports.forEach((p, i) => {
    const r = parsePortTerm(p);
    if (!r.ok) issues.push({ path: `${path}/ports/${i}`, message: r.message });
  });
  return issues;
}

/** Checks the reusable lists: schema, entries, and ids unique within each kind. */
export function validateLists(lists: FirewallLists): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const unique = (kind: keyof FirewallLists) => {
    const seen = new Set<string>();
    lists[kind].forEach((l, i) => {
      if (seen.has(l.id)) issues.push({ path: `/${kind}/${i}/id`, message: `duplicate list id "${l.id}"` });
      seen.add(l.id);
    });
  };
  unique('ipLists');
  unique('macLists');
  unique('portLists');
  lists.ipLists.forEach((l, i) => {
    issues.push(...validateIpList(l, `/ipLists/${i}`));
  });
  lists.macLists.forEach((l, i) => {
    issues.push(...validateMacList(l, `/macLists/${i}`));
  });
  lists.portLists.forEach((l, i) => {
    issues.push(...validatePortList(l, `/portLists/${i}`));
  });
  return issues;
}

/** Families the addresses of one side of a rule name (inline and through lists). */
export function addressFamilies(
  match: FirewallRule['source'],
  lists: FirewallLists,
): { readonly families: Set<Family>; readonly issues: ValidationIssue[] } {
  const families = new Set<Family>();
  for (const a of match?.addresses ?? []) {
    const r = parseAddressTerm(a);
    if (r.ok) families.add(r.value.family);
  }
  for (const id of match?.ipLists ?? []) {
    for (const a of lists.ipLists.find((l) => l.id === id)?.addresses ?? []) {
      const r = parseAddressTerm(a);
      if (r.ok) families.add(r.value.family);
    }
  }
  return { families, issues: [] };
}

/**
 * The rule validator the manager's API calls before storing a rule, and the compiler calls
 * before using one. Every issue names the offending field as a JSON pointer.
 */
export function validateRule(input: unknown, lists: FirewallLists): RuleCheck<FirewallRule> {
  const parsed = parseWith(FirewallRule, input);
  if (!parsed.ok) return { ok: false, issues: explainSchemaIssues(input, parsed.issues) };
  const rule = parsed.value;
  const issues: ValidationIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const protocol = rule.protocol ?? 'any';
  const frameType = rule.frameType ?? 'any';

  for (const side of ['source', 'destination'] as const) {
    const match = rule[side];
    match?.addresses?.forEach((a, i) => {
      const r = parseAddressTerm(a);
      if (!r.ok) add(`/${side}/addresses/${i}`, r.message);
    });
    match?.ipLists?.forEach((id, i) => {
      if (!lists.ipLists.some((l) => l.id === id)) add(`/${side}/ipLists/${i}`, `IP list "${id}" does not exist`);
    });
    const { families } = addressFamilies(match, lists);
    if (frameType === 'ipv4' && families.has('ipv6')) add(`/${side}`, 'IPv6 addresses in a rule for IPv4 frames');
    if ((frameType === 'ipv6' || protocol === 'icmpv6') && families.has('ipv4'))
      add(`/${side}`, 'IPv4 addresses in a rule for IPv6 traffic');
    if ((frameType === 'arp' || protocol === 'icmp') && families.has('ipv6'))
      add(`/${side}`, `IPv6 addresses in a rule for ${frameType === 'arp' ? 'ARP' : 'ICMP (IPv4)'}`);
  }
  for (const side of ['sourcePorts', 'destinationPorts'] as const) {
    const match = rule[side];
    if (!match) continue;
    match.ports?.forEach((p, i) => {
      const r = parsePortTerm(p);
      if (!r.ok) add(`/${side}/ports/${i}`, r.message);
    });
    match.portLists?.forEach((id, i) => {
      if (!lists.portLists.some((l) => l.id === id)) add(`/${side}/portLists/${i}`, `port list "${id}" does not exist`);
    });
    if (protocol !== 'tcp' && protocol !== 'udp') add(`/${side}`, 'ports need protocol tcp or udp');
  }
  if (rule.sourceMac) {
    rule.sourceMac.macs?.forEach((m, i) => {
      const r = parseMac(m);
      if (!r.ok) add(`/sourceMac/macs/${i}`, r.message);
    });
    rule.sourceMac.macLists?.forEach((id, i) => {
      if (!lists.macLists.some((l) => l.id === id)) add(`/sourceMac/macLists/${i}`, `MAC list "${id}" does not exist`);
    });
    if (rule.direction !== 'incoming')
      add('/sourceMac', 'a source MAC can only be matched on incoming traffic (outgoing frames have no MAC yet)');
  }
  if (rule.tcpFlags) {
    if (protocol !== 'tcp') add('/tcpFlags', 'TCP flags need protocol tcp');
    const both = rule.tcpFlags.set.filter((f) => rule.tcpFlags?.unset.includes(f));
    if (both.length > 0) add('/tcpFlags', `flags both set and unset: ${both.join(', ')}`);
    if (rule.tcpFlags.set.length + rule.tcpFlags.unset.length === 0) add('/tcpFlags', 'name at least one flag');
  }
  if (rule.icmpTypes && protocol !== 'icmp' && protocol !== 'icmpv6')
    add('/icmpTypes', 'ICMP types need protocol icmp or icmpv6');
  if (protocol === 'icmp' && frameType === 'ipv6') add('/protocol', 'icmp is IPv4; use icmpv6 for IPv6 frames');
  if (protocol === 'icmpv6' && frameType === 'ipv4') add('/protocol', 'icmpv6 is IPv6; use icmp for IPv4 frames');
  if (frameType === 'arp') {
    if (protocol !== 'any') add('/protocol', 'ARP frames have no IP protocol; leave protocol as any');
    if (rule.connectionStates) add('/connectionStates', 'ARP frames have no connection state');
    if (rule.fragments) add('/fragments', 'ARP frames are never fragments');
    if (rule.interface?.type) add('/interface/type', 'ARP rules match interfaces by name only');
  }
  if (rule.mode === 'detect' && rule.action !== 'deny')
    add(
      '/mode',
      `mode "detect" applies to deny rules only: a ${rule.action} rule drops nothing; remove the mode or make the rule a deny rule`,
    );
  if (rule.fragments) {
    if (rule.direction !== 'incoming') add('/fragments', 'fragment rules apply to incoming traffic only');
    if (rule.action !== 'deny' && rule.action !== 'log-only')
      add('/fragments', 'fragment rules can only deny or log (allowed fragments are reassembled and filtered)');
    if (rule.connectionStates) add('/connectionStates', 'fragments are matched before connection tracking');
    if (rule.sourcePorts || rule.destinationPorts || rule.tcpFlags || rule.icmpTypes)
      add('/fragments', 'fragments carry no ports, flags or ICMP types to match');
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: rule };
}

const OTHER_FRAMES =
  'frame types other than IPv4, IPv6 and ARP cannot be filtered by the host firewall (they never reach its hooks); use any, ipv4, ipv6 or arp';

/** The member of `input` a JSON pointer names, or undefined. */
function valueAt(input: unknown, pointer: string): unknown {
  let value = input;
  for (const part of pointer.split('/').slice(1)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return value;
}

/**
 * Schema messages for unions ("Expected union value") do not say what to change; for the fields
 * where that happens, say it: a port out of range, a frame type the firewall cannot filter.
 */
function explainSchemaIssues(input: unknown, issues: readonly ValidationIssue[]): ValidationIssue[] {
  const out = new Map<string, ValidationIssue>();
  for (const issue of issues) {
    let message = issue.message;
    if (issue.path === '/frameType' && valueAt(input, issue.path) === 'other') message = OTHER_FRAMES;
    else if (issue.path === '/mode') message = 'mode must be "prevent" or "detect"';
    else if (/^\/(source|destination)Ports\/ports\/\d+$/.test(issue.path)) {
      const port = parsePortTerm(valueAt(input, issue.path));
      if (!port.ok) message = port.message;
    }
    const key = `${issue.path}\u0000${message}`;
    if (!out.has(key)) out.set(key, { path: issue.path, message });
  }
  return [...out.values()];
}
