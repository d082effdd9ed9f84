import type { FailMode, NetworkEngineMode } from '@bulwark/protocol';
import type { FlowDirection, FlowEndpoints, TrafficInspector } from '@bulwark/traffic/engine';
import type { IpsFinding } from '../engine/ips-engine-contract.js';

/**
 * What the IPS agent needs of the traffic engine's runtime (packages/traffic): one narrow port,
 * so that the module is tested without a kernel and only traffic-runtime.ts knows the package's
 * own calls.
 */
export interface IpsTrafficOptions {
  readonly inspector: TrafficInspector<IpsFinding>;
  /** inline enforces blocks; tap turns each into a detect-only finding. */
  readonly mode: NetworkEngineMode;
  readonly inspectionDepthBytes: number;
  /** What a queued packet gets when the agent does not answer in time (platform.failMode). */
  readonly failMode: FailMode;
  readonly deadlineMs: number;
}

/** Findings of one packet, with the flow they belong to and whether the block was carried out. */
export interface FindingsReport {
  readonly flow: FlowEndpoints;
  readonly direction: FlowDirection;
  /** False when a block was not enforced (tap); true when the connection was reset. */
  readonly enforced: boolean;
  /** The block's verdict came after the deadline: the kernel had let the matching packet pass. */
  readonly failedOpen: boolean;
  /** Kernel receive time of the packet (ms since the epoch), 0 when unknown. */
  readonly timeMs: number;
  readonly findings: readonly IpsFinding[];
}

export interface IpsTrafficStatus {
  /** Counters worth a heartbeat: packets, flows, handed back, blocked, lost, late verdicts… */
  readonly counters: Readonly<Record<string, number>>;
  /** Something the runtime lost or could not do, for the module's status reason. */
  readonly problem?: string;
}

export interface IpsTrafficRuntime {
  /** Replaces inspector and options; the flows in progress keep going. */
  update(options: IpsTrafficOptions): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Stops reading the queues; the steering rules stay (queue bypass lets traffic through). */
  stop(): Promise<void>;
  status(): IpsTrafficStatus;
  /** The kernel hooks in force, described for an administrator. */
  kernelHooks(): readonly string[];
}

export interface IpsTrafficPort {
  /** Starts the runtime; `unavailable` when NFQUEUE, the addon or the privilege is missing. */
  start(
    options: IpsTrafficOptions,
    onFindings: (report: FindingsReport) => void,
  ): Promise<{ ok: true; runtime: IpsTrafficRuntime } | { ok: false; reason: string }>;
  /** Removes every steering rule of the IPS from the host, whichever process installed it. */
  removeFromHost(): Promise<{ ok: true } | { ok: false; reason: string }>;
}
