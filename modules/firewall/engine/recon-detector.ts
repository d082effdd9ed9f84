import type { StatefulAndReconSettings } from './firewall-settings.js';
import { type PacketMeta, TCP } from './packet-parser.js';

export type ReconKind = 'port-scan' | 'network-sweep' | 'null-probe' | 'fin-probe' | 'xmas-probe' | 'syn-fin-probe';

export const RECON_TITLES: Readonly<Record<ReconKind, string>> = {
  'port-scan': 'TCP port scan',
  'network-sweep': 'Network sweep',
  'null-probe': 'TCP NULL probe',
  'fin-probe': 'TCP FIN probe',
  'xmas-probe': 'TCP Xmas probe',
  'syn-fin-probe': 'TCP SYN-FIN probe',
};

export interface ReconDetection {
  readonly kind: ReconKind;
  readonly source: string;
  readonly family: 'ipv4' | 'ipv6';
  /** Whether the settings ask for the source to be blocked. */
  readonly block: boolean;
  /** Distinct ports or addresses seen in the window, or probes seen, at detection time. */
  readonly count: number;
  readonly sample: readonly (string | number)[];
  readonly timeMs: number;
}

type Options = Pick<
  StatefulAndReconSettings,
  | 'detectPortScans'
  | 'blockPortScans'
  | 'detectNetworkSweeps'
  | 'blockNetworkSweeps'
  | 'detectTcpProbes'
  | 'blockTcpProbes'
  | 'portScanThreshold'
  | 'sweepThreshold'
  | 'reconWindowSeconds'
>;

interface SourceState {
  family: 'ipv4' | 'ipv6';
  ports: Map<number, number>;
  hosts: Map<string, number>;
  reported: Map<ReconKind, number>;
  lastMs: number;
}

const MAX_SOURCES = 10_000;
const MAX_ITEMS_PER_SOURCE = 4096;

/** The probe a TCP flag combination is, if it is one that no normal stack sends. */
export function probeKind(flags: number): ReconKind | undefined {
  const f = flags & 0x3f;
  if (f === 0) return 'null-probe';
  if (f === TCP.FIN) return 'fin-probe';
  if (f === (TCP.FIN | TCP.PSH | TCP.URG)) return 'xmas-probe';
  if ((f & (TCP.SYN | TCP.FIN)) === (TCP.SYN | TCP.FIN) && (f & TCP.ACK) === 0) return 'syn-fin-probe';
  return undefined;
}

/**
 * Watches packets that open (or pretend to open) connections and reports sources that scan
 * ports, sweep addresses or send stealth probes. Pure: time comes in with each packet; each kind
 * is reported at most once per source per window.
 */
export class ReconDetector {
  readonly #sources = new Map<string, SourceState>();

  readonly #options: Options;

  constructor(options: Options) {
    this.#options = options;
  }

  observe(packet: PacketMeta, nowMs: number): ReconDetection[] {
    const arp = packet.family === 'arp';
    if (arp && (packet.arpOperation !== 1 || packet.source === '0.0.0.0' || packet.source === packet.destination))
      return [];
    const family = packet.family === 'ipv6' ? 'ipv6' : 'ipv4';
    const windowMs = this.#options.reconWindowSeconds * 1000;
    let state = this.#sources.get(packet.source);
    if (!state) {
      if (this.#sources.size >= MAX_SOURCES) {
        const oldest = this.#sources.keys().next().value;
        if (oldest !== undefined) this.#sources.delete(oldest);
      }
      state = { family, ports: new Map(), hosts: new Map(), reported: new Map(), lastMs: nowMs };
      this.#sources.set(packet.source, state);
    } else {
      // Keep recently active sources at the end so eviction takes the quietest.
      this.#sources.delete(packet.source);
      this.#sources.set(packet.source, state);
    }
    state.lastMs = nowMs;
    const prune = (m: Map<unknown, number>) => {
      for (const [k, t] of m) if (nowMs - t > windowMs) m.delete(k);
    };
    prune(state.ports);
    prune(state.hosts);
    const found: ReconDetection[] = [];
    const report = (kind: ReconKind, block: boolean, count: number, sample: (string | number)[]) => {
      const last = state.reported.get(kind);
      if (last !== undefined && nowMs - last < windowMs) return;
      state.reported.set(kind, nowMs);
      found.push({ kind, source: packet.source, family, block, count, sample: sample.slice(0, 10), timeMs: nowMs });
    };
    const remember = (m: Map<string | number, number>, key: string | number) => {
      if (m.size < MAX_ITEMS_PER_SOURCE || m.has(key)) m.set(key, nowMs);
    };
    if (packet.protocol === 'tcp' && packet.tcpFlags !== undefined) {
      const probe = probeKind(packet.tcpFlags);
      if (probe && this.#options.detectTcpProbes) report(probe, this.#options.blockTcpProbes, 1, [packet.tcpFlags]);
      if (packet.destinationPort !== undefined)
        remember(state.ports as Map<string | number, number>, packet.destinationPort);
      if (this.#options.detectPortScans && state.ports.size >= this.#options.portScanThreshold)
        report('port-scan', this.#options.blockPortScans, state.ports.size, [...state.ports.keys()]);
    }
    remember(state.hosts as Map<string | number, number>, packet.destination);
    if (this.#options.detectNetworkSweeps && state.hosts.size >= this.#options.sweepThreshold)
      report('network-sweep', this.#options.blockNetworkSweeps, state.hosts.size, [...state.hosts.keys()]);
    return found;
  }

  /** Forgets sources quiet for longer than the window; call now and then to bound memory. */
  prune(nowMs: number): void {
    const windowMs = this.#options.reconWindowSeconds * 1000;
    for (const [source, state] of this.#sources) if (nowMs - state.lastMs > windowMs) this.#sources.delete(source);
  }

  get trackedSources(): number {
    return this.#sources.size;
  }
}
