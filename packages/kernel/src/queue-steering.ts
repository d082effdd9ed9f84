import { execFile } from 'node:child_process';

/**
 * Sends traffic to an NFQUEUE queue with queue bypass, so it flows on when no agent is bound.
 * Uses the nft `queue` statement where the kernel has it (nft_queue) and an iptables-nft NFQUEUE
 * rule otherwise (xt_NFQUEUE); both are applied as one atomic batch.
 */
export type SteeringBackend = 'nft' | 'iptables';
export type SteeringHook = 'input' | 'output' | 'forward';

export interface QueueSteeringOptions {
  readonly queue: number;
  /** Name of this steering, so several can coexist: [a-z0-9_] up to 16 characters (default `q<queue>`). */
  readonly name?: string;
  readonly hooks?: readonly SteeringHook[];
  /** Only this protocol (default: all traffic). */
  readonly protocol?: 'tcp' | 'udp';
  /** Only these destination ports (needs protocol). */
  readonly destinationPorts?: readonly number[];
  /** Run the commands inside this network namespace (`ip netns exec`). */
  readonly netns?: string;
  /** Force a backend instead of detecting it. */
  readonly backend?: SteeringBackend;
}

export type SteeringResult =
  | { readonly ok: true; readonly backend: SteeringBackend }
  | { readonly ok: false; readonly reason: string };

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
    // A command that exits without reading its input must not turn into an EPIPE error.
    child.stdin?.on('error', () => {});
    if (input === undefined) child.stdin?.end();
    else child.stdin?.end(input);
  });
}

function validate(o: QueueSteeringOptions): string | undefined {
  if (!Number.isInteger(o.queue) || o.queue < 0 || o.queue > 65535) return `queue ${o.queue} is not in 0..65535`;
  if (o.name !== undefined && !/^[a-z0-9_]{1,16}$/.test(o.name))
    return `steering name ${JSON.stringify(o.name)} must be [a-z0-9_]{1,16}`;
  if (o.netns !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(o.netns))
    return `netns ${JSON.stringify(o.netns)} is not a valid name`;
  const ports = o.destinationPorts ?? [];
  if (ports.length > 0 && o.protocol === undefined) return 'destinationPorts need a protocol';
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) return 'destination ports must be in 1..65535';
  return undefined;
}

const nameOf = (o: QueueSteeringOptions) => o.name ?? `q${o.queue}`;
const nftTable = (o: QueueSteeringOptions) => `bulwark_nfq_${nameOf(o)}`;
const iptChain = (o: QueueSteeringOptions) => `BULWARK-NFQ-${nameOf(o).toUpperCase()}`;
const hooksOf = (o: QueueSteeringOptions) => o.hooks ?? ['input'];

function nftMatch(o: QueueSteeringOptions): string {
  const ports = o.destinationPorts ?? [];
  if (o.protocol === undefined) return '';
  if (ports.length === 0) return `meta l4proto ${o.protocol} `;
  return `${o.protocol} dport { ${ports.join(', ')} } `;
}

function nftRuleset(o: QueueSteeringOptions): string {
  const chains = hooksOf(o)
    .map(
      (h) =>
        `  chain ${h} {\n    type filter hook ${h} priority 0;\n    ${nftMatch(o)}queue num ${o.queue} bypass\n  }\n`,
    )
    .join('');
  return `table inet ${nftTable(o)} {\n${chains}}\n`;
}

function iptablesRules(o: QueueSteeringOptions, remove: boolean): string {
  const chain = iptChain(o);
  const ports = o.destinationPorts ?? [];
  const proto = o.protocol ? `-p ${o.protocol} ` : '';
  const portMatch =
    ports.length === 0
      ? ['']
      : ports.length === 1
        ? [`--dport ${ports[0]} `]
        : [`-m multiport --dports ${ports.join(',')} `];
  const lines = ['*filter'];
  if (remove) {
    for (const h of hooksOf(o)) lines.push(`-D ${h.toUpperCase()} -j ${chain}`);
    lines.push(`-F ${chain}`, `-X ${chain}`);
  } else {
    lines.push(`:${chain} - [0:0]`);
    for (const m of portMatch) lines.push(`-A ${chain} ${proto}${m}-j NFQUEUE --queue-num ${o.queue} --queue-bypass`);
    for (const h of hooksOf(o)) lines.push(`-I ${h.toUpperCase()} 1 -j ${chain}`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** Which backend the kernel in this namespace supports: a dry run of an nft queue rule decides. */
export async function detectSteeringBackend(
  netns?: string,
): Promise<{ ok: true; backend: SteeringBackend } | { ok: false; reason: string }> {
  const probe =
    'table inet bulwark_nfq_probe {\n  chain input {\n    type filter hook input priority 0;\n    queue num 0 bypass\n  }\n}\n';
  const nft = await run(netns, 'nft', ['-c', '-f', '-'], probe);
  if (nft.code === 0) return { ok: true, backend: 'nft' };
  const ipt = await run(netns, 'iptables', ['-t', 'filter', '-n', '-L', 'INPUT']);
  if (ipt.code === 0) return { ok: true, backend: 'iptables' };
  return {
    ok: false,
    reason: `no way to steer traffic to NFQUEUE: nft: ${nft.stderr || 'failed'}; iptables: ${ipt.stderr || 'failed'}`,
  };
}

/** Installs the steering rule(s) atomically; installing the same name again replaces them. */
export async function installQueueSteering(options: QueueSteeringOptions): Promise<SteeringResult> {
  const invalid = validate(options);
  if (invalid) return { ok: false, reason: `queue steering: ${invalid}` };
  let backend = options.backend;
  if (backend === undefined) {
    const detected = await detectSteeringBackend(options.netns);
    if (!detected.ok) return detected;
    backend = detected.backend;
  }
  await removeQueueSteering(options);
  if (backend === 'nft') {
    const r = await run(options.netns, 'nft', ['-f', '-'], nftRuleset(options));
    return r.code === 0 ? { ok: true, backend } : { ok: false, reason: `nft: ${r.stderr}` };
  }
  const rules = iptablesRules(options, false);
  const v4 = await run(options.netns, 'iptables-restore', ['--noflush'], rules);
  if (v4.code !== 0) return { ok: false, reason: `iptables-restore: ${v4.stderr}` };
  const v6 = await run(options.netns, 'ip6tables-restore', ['--noflush'], rules);
  if (v6.code !== 0) {
    await run(options.netns, 'iptables-restore', ['--noflush'], iptablesRules(options, true));
    return { ok: false, reason: `ip6tables-restore: ${v6.stderr}` };
  }
  return { ok: true, backend };
}

/** Removes the steering of this name from both backends; absent rules are not an error. */
export async function removeQueueSteering(
  options: QueueSteeringOptions,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const invalid = validate(options);
  if (invalid) return { ok: false, reason: `queue steering: ${invalid}` };
  const problems: string[] = [];
  const listed = await run(options.netns, 'nft', ['list', 'table', 'inet', nftTable(options)]);
  if (listed.code === 0) {
    const r = await run(options.netns, 'nft', ['delete', 'table', 'inet', nftTable(options)]);
    if (r.code !== 0) problems.push(`nft: ${r.stderr}`);
  }
  for (const cmd of ['iptables', 'ip6tables'] as const) {
    const exists = await run(options.netns, cmd, ['-t', 'filter', '-n', '-L', iptChain(options)]);
    if (exists.code !== 0) continue;
    // Jumps to the chain from hooks other than the current ones would block -X; drop those too.
    const all: QueueSteeringOptions = { ...options, hooks: ['input', 'output', 'forward'] };
    const rules = iptablesRules(all, true)
      .split('\n')
      .filter((l) => !l.startsWith('-D'))
      .join('\n');
    for (const h of ['INPUT', 'OUTPUT', 'FORWARD']) {
      while ((await run(options.netns, cmd, ['-t', 'filter', '-D', h, '-j', iptChain(options)])).code === 0) {}
    }
    const r = await run(options.netns, `${cmd}-restore`, ['--noflush'], rules);
    if (r.code !== 0) problems.push(`${cmd}-restore: ${r.stderr}`);
  }
  return problems.length === 0 ? { ok: true } : { ok: false, reason: problems.join('; ') };
}
