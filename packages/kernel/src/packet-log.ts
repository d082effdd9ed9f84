import { type ChannelStats, describeNativeError, loadAddon, type NativeHandle, type Opened } from './addon.js';
import { decodeBatch } from './batch-decoder.js';

/** A packet logged by an NFLOG rule (`log group N prefix "…"` / `-j NFLOG --nflog-group N`). */
export interface LoggedPacket {
  /** The rule's log prefix. */
  readonly prefix: string;
  readonly hook: number;
  /** EtherType (0x0800 IPv4, 0x86dd IPv6); payload starts at the network header. */
  readonly hwProtocol: number;
  readonly mark: number;
  readonly inInterface: number;
  readonly outInterface: number;
  /** First copyRange bytes of the packet. */
  readonly payload: Uint8Array;
  /** Kernel time in ms since the epoch, 0 when absent. */
  readonly timeMs: number;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

export interface PacketLogOptions {
  /** NFLOG group, 0..65535. Only one listener can bind a group. */
  readonly group: number;
  /** Bytes of each packet copied (default 128). */
  readonly copyRange?: number;
  /** Packets per batch handed to onPackets (default 128). */
  readonly batchSize?: number;
  /** The kernel gathers up to this many packets per message (default 16) or flushes after flushMs. */
  readonly kernelBatch?: number;
  /** Longest the kernel holds a partial gathering (default 50 ms; resolution 10 ms). */
  readonly flushMs?: number;
  readonly onPackets: (packets: readonly LoggedPacket[]) => void;
  readonly onError?: (error: unknown) => void;
}

export interface PacketLog {
  readonly group: number;
  stats(): ChannelStats;
  close(): void;
  readonly closed: boolean;
}

/** Subscribes to an NFLOG group in the current network namespace. Needs CAP_NET_ADMIN. */
export function openPacketLog(options: PacketLogOptions): Opened<PacketLog> {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return { available: false, reason: loaded.reason };
  const addon = loaded.addon;
  if (!Number.isInteger(options.group) || options.group < 0 || options.group > 65535)
    return { available: false, reason: `nflog: group ${options.group} is not in 0..65535` };
  let handle: NativeHandle | undefined;
  let closed = false;
  const onBatch = (records: ArrayBuffer, data: ArrayBuffer, count: number) => {
    const packets = decodeBatch(records, data, count).map(
      (r): LoggedPacket => ({
        prefix: r.text,
        hook: r.kind,
        hwProtocol: r.hwProtocol,
        mark: r.mark,
        inInterface: r.indev,
        outInterface: r.outdev,
        payload: r.payload,
        timeMs: r.timeMs,
        uid: r.uid,
        gid: r.gid,
      }),
    );
    try {
      options.onPackets(packets);
    } catch (error) {
      options.onError?.(error);
    }
  };
  try {
    handle = addon.logOpen(
      {
        group: options.group,
        copyRange: Math.min(Math.max(options.copyRange ?? 128, 0), 65535),
        batchSize: options.batchSize ?? 128,
        kernelBatch: options.kernelBatch ?? 16,
        kernelFlushCentiseconds: Math.max(1, Math.round((options.flushMs ?? 50) / 10)),
      },
      onBatch,
    );
  } catch (error) {
    return { available: false, reason: describeNativeError(error) };
  }
  const h = handle;
  return {
    available: true,
    value: {
      group: options.group,
      get closed() {
        return closed;
      },
      stats: () => addon.logStats(h),
      close() {
        if (closed) return;
        closed = true;
        addon.logClose(h);
      },
    },
  };
}
