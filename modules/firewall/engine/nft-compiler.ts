import type { NetworkEngineMode } from '@bulwark/protocol';
import { disjointTerms, type Family, parseAddressTerm, parseMac, parsePortTerm } from './address.js';
import type { FirewallConfiguration } from './firewall-configuration.js';
import { type LogReason, logPrefix, RECON_PREFIX } from './log-prefix.js';
import { arpRuleMatch, type InlineSetType, ipRuleMatches, type ListSetNames } from './rule-matches.js';
import { foldedRunNft, groupRuns } from './rule-merging.js';
import { type OrderedRule, orderRules } from './rule-order.js';
import type { FirewallRule } from './rule-schema.js';

export const DEFAULT_TABLE = 'bulwark';

export interface BlockedSource {
  readonly address: string;
  readonly family: Family;
  readonly secondsLeft: number;
}

export interface CompileOptions {
  readonly mode: NetworkEngineMode;
  /** NFLOG group for denied and log-only packets. */
  readonly eventGroup: number;
  /** NFLOG group for the packets the reconnaissance detector looks at. */
  readonly reconGroup: number;
  readonly table?: string;
  /** Sources blocked now, carried into the new table so a re-apply does not unblock them. */
  readonly blocked?: readonly BlockedSource[];
  /**
   * The agent's own channel to its manager (TCP to these addresses and ports): accepted above
   * every block and rule, so no rule set can cut the agent off from the place that can fix it.
   */
  readonly managerEndpoints?: readonly ManagerEndpoint[];
  /**
   * Written into every log prefix (`bw|<version>|…`, lowercase hex, at most 12 digits), so that a
   * packet logged by this table is named after this table's rules even when the agent reads it
   * after the next configuration is in force.
   */
  readonly tableVersion?: string;
}

export interface ManagerEndpoint {
  readonly address: string;
  readonly family: Family;
  readonly port: number;
}

export interface CompiledRuleset {
  /** One nft script: replaces our tables atomically (`nft -f -`), touches nothing else. */
  readonly script: string;
}

/** Script that removes our tables (and succeeds when they are already gone). */
export function removalScript(table = DEFAULT_TABLE): string {
  return `table inet ${table} {}\ndelete table inet ${table}\ntable arp ${table} {}\ndelete table arp ${table}\n`;
}

function reconEnabled(s: FirewallConfiguration['settings']): boolean {
  return s.detectPortScans || s.detectNetworkSweeps || s.detectTcpProbes;
}

function referencedLists(rules: readonly FirewallRule[]) {
  const ip = new Set<string>();
  const mac = new Set<string>();
  const port = new Set<string>();
  for (const r of rules) {
    for (const m of [r.source, r.destination]) for (const id of m?.ipLists ?? []) ip.add(id);
    for (const m of [r.sourcePorts, r.destinationPorts]) for (const id of m?.portLists ?? []) port.add(id);
    for (const id of r.sourceMac?.macLists ?? []) mac.add(id);
  }
  return { ip, mac, port };
}

function setDeclarations(config: FirewallConfiguration, rules: readonly FirewallRule[], arp: boolean): string[] {
  const used = referencedLists(rules);
  const out: string[] = [];
  const declare = (name: string, type: string, interval: boolean, elements: readonly string[]) => {
    const flags = interval ? ' flags interval;' : '';
    const values =
      type === 'ipv4_addr' || type === 'ipv6_addr' || type === 'inet_service'
        ? disjointTerms(type, elements)
        : elements;
    const body = values.length > 0 ? ` elements = { ${values.join(', ')} }` : '';
    out.push(`\tset ${name} { type ${type};${flags}${body} }`);
  };
  config.lists.ipLists.forEach((list, i) => {
    if (!used.ip.has(list.id)) return;
    for (const family of arp ? (['ipv4'] as const) : (['ipv4', 'ipv6'] as const)) {
      const terms = list.addresses.flatMap((a) => {
        const r = parseAddressTerm(a);
        return r.ok && r.value.family === family ? [r.value.nft] : [];
      });
      declare(`ipl${i}_${family === 'ipv4' ? 4 : 6}`, family === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr', true, terms);
    }
  });
  config.lists.macLists.forEach((list, i) => {
    if (!used.mac.has(list.id)) return;
    const terms = list.macs.flatMap((m) => {
      const r = parseMac(m);
      return r.ok ? [r.value] : [];
    });
    declare(`mac${i}`, 'ether_addr', false, [...new Set(terms)]);
  });
  if (!arp) {
    config.lists.portLists.forEach((list, i) => {
      if (!used.port.has(list.id)) return;
      const terms = list.ports.flatMap((p) => {
        const r = parsePortTerm(p);
        return r.ok ? [r.value] : [];
      });
      declare(`pl${i}`, 'inet_service', true, terms);
    });
  }
  return out;
}

interface SetNames extends ListSetNames {
  /** Declarations of the sets `values` named so far; emit them before the chains that use them. */
  inlineDeclarations(): string[];
}

function setNames(config: FirewallConfiguration, inlinePrefix: string): SetNames {
  const ipIndex = new Map(config.lists.ipLists.map((l, i) => [l.id, i]));
  const macIndex = new Map(config.lists.macLists.map((l, i) => [l.id, i]));
  const portIndex = new Map(config.lists.portLists.map((l, i) => [l.id, i]));
  const inline = new Map<string, { name: string; type: InlineSetType; terms: readonly string[] }>();
  return {
    ip: (id, family) => `ipl${ipIndex.get(id)}_${family === 'ipv4' ? 4 : 6}`,
    mac: (id) => `mac${macIndex.get(id)}`,
    port: (id) => `pl${portIndex.get(id)}`,
    values(type, terms) {
      const key = `${type} ${terms.join(',')}`;
      let set = inline.get(key);
      if (!set) {
        set = { name: `${inlinePrefix}${inline.size}`, type, terms };
        inline.set(key, set);
      }
      return set.name;
    },
    inlineDeclarations: () =>
      [...inline.values()].map(({ name, type, terms }) => {
        if (type === 'ether_addr') return `\tset ${name} { type ${type}; elements = { ${terms.join(', ')} } }`;
        const elements = disjointTerms(type, terms).join(', ');
        return `\tset ${name} { type ${type}; flags interval; elements = { ${elements} } }`;
      }),
  };
}

/** The verdict statement of a drop, or its tap-mode stand-in (log and let through). */
function dropStatement(reason: LogReason, options: CompileOptions, log = true): string {
  if (options.mode === 'tap')
    return `log group ${options.eventGroup} prefix "${logPrefix(reason, 'would-drop', options.tableVersion)}" accept`;
  return log
    ? `log group ${options.eventGroup} prefix "${logPrefix(reason, 'dropped', options.tableVersion)}" drop`
    : 'drop';
}

function verdictStatement(rule: FirewallRule, index: number, options: CompileOptions): string {
  switch (rule.action) {
    case 'deny':
      // A deny in detect mode logs what it would drop and lets the packet go on to the next rule.
      if (rule.mode === 'detect')
        return `log group ${options.eventGroup} prefix "${logPrefix({ kind: 'rule', index }, 'would-drop', options.tableVersion)}"`;
      return dropStatement({ kind: 'rule', index }, options);
    case 'log-only':
      return `log group ${options.eventGroup} prefix "${logPrefix({ kind: 'rule', index }, 'logged', options.tableVersion)}"`;
    default:
      return 'accept';
  }
}

function statefulLines(s: FirewallConfiguration['settings'], options: CompileOptions): string[] {
  const out: string[] = [];
  // Invalid packets are routine (late retransmissions); only tap mode reports them, as required.
  if (s.dropInvalid) out.push(`ct state invalid ${dropStatement({ kind: 'invalid' }, options, false)}`);
  if (s.trackTcpState) out.push('meta l4proto tcp ct state established,related accept');
  if (s.trackUdpState) out.push('meta l4proto udp ct state established,related accept');
  if (s.trackIcmpState) out.push('meta l4proto { icmp, ipv6-icmp } ct state established,related accept');
  return out;
}

/** Names and declarations of the sets and maps of folded runs (see rule-merging.ts). */
interface Folds {
  name(): string;
  readonly declarations: string[];
}

function folds(): Folds {
  let n = 0;
  return { name: () => `f${n++}`, declarations: [] };
}

function ipChain(
  config: FirewallConfiguration,
  ordered: readonly OrderedRule[],
  direction: 'incoming' | 'outgoing',
  options: CompileOptions,
  sets: ListSetNames,
  folds: Folds,
): string[] {
  const s = config.settings;
  const hook = direction === 'incoming' ? 'input' : 'output';
  const lines = [`\tchain ${hook} {`, `\t\ttype filter hook ${hook} priority filter; policy accept;`];
  const body: string[] = [];
  for (const m of options.managerEndpoints ?? []) {
    const ipKeyword = m.family === 'ipv4' ? 'ip' : 'ip6';
    body.push(
      direction === 'outgoing'
        ? `${ipKeyword} daddr ${m.address} tcp dport ${m.port} accept`
        : `${ipKeyword} saddr ${m.address} tcp sport ${m.port} ct state established,related accept`,
    );
  }
  if (direction === 'incoming') {
    if (options.mode === 'inline') {
      const blocked = dropStatement({ kind: 'blocked-source' }, options);
      body.push(`ip saddr @blocked4 ${blocked}`, `ip6 saddr @blocked6 ${blocked}`);
    }
    if (reconEnabled(s)) {
      const log = `log group ${options.reconGroup} prefix "${RECON_PREFIX}"`;
      body.push(
        `tcp flags & (syn | ack | rst) == syn ct state new,invalid,untracked ${log}`,
        `tcp flags & (syn | ack | rst) == 0x0 ${log}`,
        `tcp flags & (syn | ack | rst) == ack ct state new,invalid ${log}`,
        `icmp type { echo-request, timestamp-request } ${log}`,
        `icmpv6 type echo-request ${log}`,
      );
    }
  }
  body.push(...statefulLines(s, options));
  if (direction === 'incoming' && s.maxHalfOpenPerSource > 0) {
    const n = s.maxHalfOpenPerSource;
    const verdict = dropStatement({ kind: 'half-open-limit' }, options);
    body.push(
      `tcp flags & (syn | ack | rst) == syn ct state new add @halfopen4 { ip saddr ct count over ${n} } ${verdict}`,
      `tcp flags & (syn | ack | rst) == syn ct state new add @halfopen6 { ip6 saddr ct count over ${n} } ${verdict}`,
    );
  }
  const rules = ordered.filter(
    ({ rule }) => rule.direction === direction && (rule.frameType ?? 'any') !== 'arp' && !rule.fragments,
  );
  for (const run of groupRuns(rules, config.lists)) {
    if (!run.merged) {
      const { rule, index } = run.rule;
      const verdict = verdictStatement(rule, index, options);
      for (const match of ipRuleMatches(rule, config.lists, sets)) body.push(`${match} ${verdict}`.trim());
      continue;
    }
    const folded = foldedRunNft(run, folds.name(), {
      drop: dropStatement({ kind: 'marked-rule' }, options),
      log: `log group ${options.eventGroup} prefix "${logPrefix({ kind: 'marked-rule' }, 'logged', options.tableVersion)}"`,
    });
    folds.declarations.push(...folded.declarations);
    body.push(...folded.rules);
  }
  // Once a direction has an allow rule, what no rule lets through is denied (the behaviour
  // administrators of this kind of product expect from "allow" rules).
  if (rules.some(({ rule }) => rule.action === 'allow')) {
    // Implicit deny refuses new connections only: a flow that was let in (or was open before the
    // table) is never cut by it, even with state tracking turned off; explicit denies still apply.
    body.push('ct state established,related accept');
    body.push(`meta nfproto { ipv4, ipv6 } ${dropStatement({ kind: 'implicit-deny' }, options)}`);
  }
  return [...lines, ...body.map((b) => `\t\t${b}`), '\t}'];
}

function fragmentChain(
  config: FirewallConfiguration,
  ordered: readonly OrderedRule[],
  options: CompileOptions,
  sets: ListSetNames,
): string[] {
  const rules = ordered.filter(({ rule }) => rule.fragments && rule.direction === 'incoming');
  if (rules.length === 0) return [];
  // Before conntrack's defragmentation (priority -400), or the filter would never see a fragment.
  const lines = ['\tchain fragments {', '\t\ttype filter hook prerouting priority -450; policy accept;'];
  for (const { rule, index } of rules) {
    const verdict = verdictStatement(rule, index, options);
    for (const match of ipRuleMatches(rule, config.lists, sets)) lines.push(`\t\t${match} ${verdict}`);
  }
  return [...lines, '\t}'];
}

function arpTable(
  config: FirewallConfiguration,
  ordered: readonly OrderedRule[],
  options: CompileOptions,
  table: string,
): string[] {
  const sets = setNames(config, 'av');
  const rules = ordered.filter(({ rule }) => rule.frameType === 'arp');
  const sweep = config.settings.detectNetworkSweeps;
  if (rules.length === 0 && !sweep) return [];
  const out: string[] = [];
  for (const direction of ['incoming', 'outgoing'] as const) {
    const hook = direction === 'incoming' ? 'input' : 'output';
    out.push(`\tchain ${hook} {`, `\t\ttype filter hook ${hook} priority filter; policy accept;`);
    // Broadcast ARP requests for many addresses are how a sweep of the local network shows up here.
    if (direction === 'incoming' && sweep)
      out.push(`\t\tarp operation request log group ${options.reconGroup} prefix "${RECON_PREFIX}"`);
    for (const { rule, index } of rules.filter(({ rule }) => rule.direction === direction)) {
      const match = arpRuleMatch(rule, config.lists, sets);
      if (match !== undefined)
        out.push(`\t\t${match} ${verdictStatement(rule, index, options)}`.replace(/\t\t /, '\t\t'));
    }
    out.push('\t}');
  }
  const declarations = setDeclarations(
    config,
    rules.map((r) => r.rule),
    true,
  );
  return [`table arp ${table} {`, ...declarations, ...sets.inlineDeclarations(), ...out, '}'];
}

/**
 * Compiles the firewall configuration into one nft script that atomically replaces our own
 * tables (`inet <table>`, and `arp <table>` when ARP is filtered or watched) and nothing else.
 * Pure: the same input gives the same text, which is how the agent knows a re-apply is a no-op.
 */
export function compileRuleset(config: FirewallConfiguration, options: CompileOptions): CompiledRuleset {
  const table = options.table ?? DEFAULT_TABLE;
  const sets = setNames(config, 'iv');
  const ipRules = config.rules.filter((r) => r.frameType !== 'arp');
  const blocked = (family: Family) =>
    (options.mode === 'inline' ? (options.blocked ?? []) : [])
      .filter((b) => b.family === family && b.secondsLeft > 0)
      .map((b) => `${b.address} timeout ${Math.ceil(b.secondsLeft)}s`);
  const blockedSet = (name: string, type: string, elements: string[]) =>
    `\tset ${name} { type ${type}; flags timeout;${elements.length > 0 ? ` elements = { ${elements.join(', ')} }` : ''} }`;
  const lines = [
    `table inet ${table} {}`,
    `delete table inet ${table}`,
    `table arp ${table} {}`,
    `delete table arp ${table}`,
    `table inet ${table} {`,
    blockedSet('blocked4', 'ipv4_addr', blocked('ipv4')),
    blockedSet('blocked6', 'ipv6_addr', blocked('ipv6')),
  ];
  if (config.settings.maxHalfOpenPerSource > 0) {
    lines.push('\tset halfopen4 { type ipv4_addr; flags dynamic; size 65535; }');
    lines.push('\tset halfopen6 { type ipv6_addr; flags dynamic; size 65535; }');
  }
  lines.push(...setDeclarations(config, ipRules, false));
  const ordered = orderRules(config.rules);
  const folded = folds();
  const chains = [
    ...fragmentChain(config, ordered, options, sets),
    ...ipChain(config, ordered, 'incoming', options, sets, folded),
    ...ipChain(config, ordered, 'outgoing', options, sets, folded),
  ];
  lines.push(...sets.inlineDeclarations(), ...folded.declarations, ...chains);
  lines.push('}');
  lines.push(...arpTable(config, ordered, options, table));
  return { script: `${lines.join('\n')}\n` };
}
