/**
 * The kernel rules the traffic engine needs, on the host (or in the namespace) it protects:
 *
 * 1. iptables-nft chains `BWTRF-<NAME>-IN` (jumped to first from INPUT) and `-OUT` (from OUTPUT),
 *    IPv4 and IPv6, applied with one `iptables-restore --noflush` each:
 *    - a flow whose conntrack mark carries HAND-BACK returns (leaves the queue: no inspection);
 *    - a flow whose conntrack mark carries BLOCK is cut: TCP from the client is answered with a
 *      reset (`REJECT --reject-with tcp-reset`), everything else dropped;
 *    - the inspected ports go to the queue(s) with `--queue-bypass` (traffic flows while no engine
 *      is bound): destination ports on input (client → server), source ports on output (replies).
 * 2. nft table `inet bulwark_trf_<name>` with chains on input and output at priority filter + 10,
 *    i.e. right after the queue: a packet the engine accepted with the HAND-BACK or BLOCK packet
 *    mark gets that bit copied into its conntrack mark; a BLOCK packet is then rejected with a TCP
 *    reset towards its sender (the client, on input) or dropped.
 *
 * The queue rule is iptables-nft's NFQUEUE because kernels without nft's `queue` statement (the
 * CI kernel) still have xt_NFQUEUE; the mark rules are plain nft. Both live in nf_tables.
 */
import { execFile } from 'node:child_process';
import type { PortSelection } from '../engine/inspection-contract.js';

export interface FlowMarks {
  /** Bit(s) meaning "handed back": the flow no longer goes to the queue. */
  readonly handBack: number;
  /** Bit(s) meaning "blocked": the flow is reset/dropped by the kernel. */
  readonly block: number;
  /**
   * Bit(s) meaning "replies handed back": the flow's reply direction (server → client, conntrack
   * REPLY) no longer goes to the queue; the client's packets still do.
   */
  readonly handBackReplies: number;
}

/** Bits 20, 21 and 22 of the packet and conntrack marks, unless the caller picks others. */
export const DEFAULT_FLOW_MARKS: FlowMarks = {
  handBack: 0x0010_0000,
  block: 0x0020_0000,
  handBackReplies: 0x0040_0000,
};

export interface SteeringPlan {
  /** [a-z0-9_]{1,12}; names the chains and the table, so several engines can coexist. */
  readonly name: string;
  /** First queue; with queueCount > 1 flows are spread over queue..queue+count-1 (both directions of a flow on one). */
  readonly queue: number;
  readonly queueCount: number;
  readonly ports: readonly PortSelection[];
  readonly marks: FlowMarks;
  readonly netns?: string;
  /**
   * The ports are those of servers elsewhere that this host's clients connect to (web
   * reputation): destination ports on output (client → server) and source ports on input
   * (replies) go to the queue, and a blocked flow is reset towards the local client on output.
   * Default false: the ports are this host's own servers.
   */
  readonly outbound?: boolean;
}

export type SteeringOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

interface Run {
  readonly code: number;
  readonly stderr: string;
}

function run(netns: string | undefined, cmd: string, args: readonly string[], input?: string): Promise<Run> {
  const [file, argv] = netns ? ['ip', ['netns', 'exec', netns, cmd, ...args]] : [cmd, [...args]];
  return new Promise((resolve) => {
    const child = execFile(file, argv, { timeout: 15_000 }, (error, _stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      resolve({ code, stderr: String(stderr || (error && !stderr ? error.message : '')).trim() });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const chainIn = (p: SteeringPlan) => `BWTRF-${p.name.toUpperCase()}-IN`;
const chainOut = (p: SteeringPlan) => `BWTRF-${p.name.toUpperCase()}-OUT`;
const nftTable = (p: SteeringPlan) => `bulwark_trf_${p.name}`;

/** The iptables chains of a plan (input, output). */
export function chainNames(p: Pick<SteeringPlan, 'name'>): [string, string] {
  return [chainIn(p as SteeringPlan), chainOut(p as SteeringPlan)];
}

export function validatePlan(p: SteeringPlan): string | undefined {
  if (!/^[a-z0-9_]{1,12}$/.test(p.name)) return `steering name ${JSON.stringify(p.name)} must be [a-z0-9_]{1,12}`;
  if (!Number.isInteger(p.queue) || p.queue < 0 || p.queue + p.queueCount - 1 > 65535)
    return `queue ${p.queue} is not in 0..65535`;
  if (!Number.isInteger(p.queueCount) || p.queueCount < 1) return 'queueCount must be at least 1';
  if (p.netns !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(p.netns))
    return `netns ${JSON.stringify(p.netns)} is not a valid name`;
  const { handBack, block, handBackReplies } = p.marks;
  if (
    handBack === 0 ||
    block === 0 ||
    handBackReplies === 0 ||
    (handBack & block) !== 0 ||
    ((handBack | block) & handBackReplies) !== 0
  )
    return 'hand-back, block and reply hand-back marks must be distinct non-zero bits';
  for (const s of p.ports)
    if (s.ports.some((x) => !Number.isInteger(x) || x < 1 || x > 65535)) return 'ports must be in 1..65535';
  return undefined;
}

/** Ports per protocol, merged; an empty list means every port of that protocol. */
export function mergePorts(selections: readonly PortSelection[]): Map<'tcp' | 'udp', number[]> {
  const out = new Map<'tcp' | 'udp', number[]>();
  for (const s of selections) {
    const known = out.get(s.protocol);
    if (known !== undefined && known.length === 0) continue;
    if (s.ports.length === 0) out.set(s.protocol, []);
    else
      out.set(
        s.protocol,
        [...new Set([...(known ?? []), ...s.ports])].sort((a, b) => a - b),
      );
  }
  return out;
}

function queueTarget(p: SteeringPlan): string {
  const target =
    p.queueCount > 1 ? `--queue-balance ${p.queue}:${p.queue + p.queueCount - 1}` : `--queue-num ${p.queue}`;
  return `-j NFQUEUE ${target} --queue-bypass`;
}

export function iptablesRules(p: SteeringPlan): string {
  const lines = ['*filter', `:${chainIn(p)} - [0:0]`, `:${chainOut(p)} - [0:0]`];
  const respond = p.marks.handBack | p.marks.block;
  for (const chain of [chainIn(p), chainOut(p)]) {
    // The engine's own answer to a client (a block page, sent with both bits) is not queued or
    // cut. Outbound, the client is local: the answer passes output, then input through loopback.
    if (chain === chainOut(p) || p.outbound)
      lines.push(`-A ${chain} -m mark --mark ${hex(respond)}/${hex(respond)} -j RETURN`);
    lines.push(`-A ${chain} -m connmark --mark ${hex(p.marks.handBack)}/${hex(p.marks.handBack)} -j RETURN`);
    const rejects = chain === (p.outbound ? chainOut(p) : chainIn(p));
    // The reset the kernel sends for a blocked flow carries the flow's conntrack: let it out.
    // Outbound, that reset is made on output and passes output again on its way to the local
    // client, so the rejecting chain lets resets through too.
    if (!rejects || p.outbound) lines.push(`-A ${chain} -p tcp --tcp-flags RST RST -j RETURN`);
    if (rejects)
      lines.push(
        `-A ${chain} -p tcp -m connmark --mark ${hex(p.marks.block)}/${hex(p.marks.block)} -j REJECT --reject-with tcp-reset`,
      );
    lines.push(`-A ${chain} -m connmark --mark ${hex(p.marks.block)}/${hex(p.marks.block)} -j DROP`);
    // After the block rules: a blocked flow's replies are still cut.
    const replies = hex(p.marks.handBackReplies);
    lines.push(`-A ${chain} -m connmark --mark ${replies}/${replies} -m conntrack --ctdir REPLY -j RETURN`);
  }
  for (const [protocol, ports] of mergePorts(p.ports)) {
    // multiport takes at most 15 ports per rule.
    const groups = ports.length === 0 ? [[]] : chunk(ports, 15);
    for (const g of groups) {
      const match = (dir: 'd' | 's') =>
        g.length === 0 ? '' : g.length === 1 ? `--${dir}port ${g[0]} ` : `-m multiport --${dir}ports ${g.join(',')} `;
      lines.push(`-A ${chainIn(p)} -p ${protocol} ${match(p.outbound ? 's' : 'd')}${queueTarget(p)}`);
      lines.push(`-A ${chainOut(p)} -p ${protocol} ${match(p.outbound ? 'd' : 's')}${queueTarget(p)}`);
    }
  }
  lines.push(`-I INPUT 1 -j ${chainIn(p)}`, `-I OUTPUT 1 -j ${chainOut(p)}`, 'COMMIT', '');
  return lines.join('\n');
}

export function nftRuleset(p: SteeringPlan): string {
  const { handBack, block } = p.marks;
  const mask = hex(handBack | block);
  const markIs = (bit: number) => `meta mark & ${mask} == ${hex(bit)}`;
  const keep = (bit: number) => `ct mark set ct mark or ${hex(bit)}`;
  const answered = `${markIs(block | handBack)} ct direction original ${keep(block)} drop`;
  const replies = hex(p.marks.handBackReplies);
  const keepReplies = `    meta mark & ${replies} == ${replies} ${keep(p.marks.handBackReplies)}`;
  return [
    `table inet ${nftTable(p)} {`,
    '  chain input {',
    '    type filter hook input priority filter + 10;',
    keepReplies,
    `    ${markIs(block)} ${keep(block)} meta l4proto tcp reject with tcp reset`,
    `    ${markIs(block)} ${keep(block)} drop`,
    // Both bits: blocked, and the engine answered the client itself (block page): no reset.
    // Only the client's packet (original direction): the answer itself carries both bits too.
    `    ${answered}`,
    `    ${markIs(handBack)} ${keep(handBack)}`,
    '  }',
    '  chain output {',
    '    type filter hook output priority filter + 10;',
    keepReplies,
    // Outbound, the client's packet that got the block page is dropped here, before the server.
    ...(p.outbound ? [`    ${answered}`] : []),
    // Outbound: the client is local; its blocked packet is answered with a reset it receives at once.
    ...(p.outbound ? [`    ${markIs(block)} ${keep(block)} meta l4proto tcp reject with tcp reset`] : []),
    `    ${markIs(block)} ${keep(block)} drop`,
    `    ${markIs(handBack)} ${keep(handBack)}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Installs the rules (replacing any of the same name). On failure nothing of it stays. */
export async function installTrafficSteering(p: SteeringPlan): Promise<SteeringOutcome> {
  const invalid = validatePlan(p);
  if (invalid) return { ok: false, reason: `traffic steering: ${invalid}` };
  await removeTrafficSteering(p);
  // The mark rules first: a packet queued and marked before they exist would not be cut.
  const nft = await run(p.netns, 'nft', ['-f', '-'], nftRuleset(p));
  if (nft.code !== 0) return { ok: false, reason: `nft: ${nft.stderr}` };
  for (const cmd of ['iptables-restore', 'ip6tables-restore']) {
    const r = await run(p.netns, cmd, ['--noflush'], iptablesRules(p));
    if (r.code !== 0) {
      await removeTrafficSteering(p);
      return { ok: false, reason: `${cmd}: ${r.stderr}` };
    }
  }
  return { ok: true };
}

/** Removes the rules of this name; absent rules are not an error. */
export async function removeTrafficSteering(p: Pick<SteeringPlan, 'name' | 'netns'>): Promise<SteeringOutcome> {
  const plan = p as SteeringPlan;
  const problems: string[] = [];
  for (const cmd of ['iptables', 'ip6tables']) {
    for (const [hook, chain] of [
      ['INPUT', chainIn(plan)],
      ['OUTPUT', chainOut(plan)],
    ] as const) {
      while ((await run(p.netns, cmd, ['-t', 'filter', '-D', hook, '-j', chain])).code === 0) {}
      const exists = await run(p.netns, cmd, ['-t', 'filter', '-n', '-L', chain]);
      if (exists.code !== 0) continue;
      const flushed = await run(p.netns, cmd, ['-t', 'filter', '-F', chain]);
      const deleted = await run(p.netns, cmd, ['-t', 'filter', '-X', chain]);
      if (flushed.code !== 0 || deleted.code !== 0) problems.push(`${cmd}: ${flushed.stderr || deleted.stderr}`);
    }
  }
  const listed = await run(p.netns, 'nft', ['list', 'table', 'inet', nftTable(plan)]);
  if (listed.code === 0) {
    const r = await run(p.netns, 'nft', ['delete', 'table', 'inet', nftTable(plan)]);
    if (r.code !== 0) problems.push(`nft: ${r.stderr}`);
  }
  return problems.length === 0 ? { ok: true } : { ok: false, reason: problems.join('; ') };
}
