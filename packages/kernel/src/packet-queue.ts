import { type ChannelStats, describeNativeError, loadAddon, type NativeHandle, type Opened } from './addon.js';
import { decodeBatch } from './batch-decoder.js';

export type PacketVerdict = 'accept' | 'drop';

// NFQA_SKB_INFO flags (linux/netfilter/nfnetlink_queue.h).
const SKB_CSUM_NOT_READY = 1;
const SKB_GSO = 2;

/** A packet held by the kernel until it gets a verdict or its deadline passes. */
export interface QueuedPacket {
  /** Answer with this id. */
  readonly id: number;
  /** Netfilter hook (0 prerouting, 1 input, 2 forward, 3 output, 4 postrouting). */
  readonly hook: number;
  /** EtherType of the packet (0x0800 IPv4, 0x86dd IPv6); the payload starts at the network header. */
  readonly hwProtocol: number;
  readonly mark: number;
  /** Interface indexes, 0 when none. */
  readonly inInterface: number;
  readonly outInterface: number;
  /** Length of the whole packet; payload holds at most copyRange bytes of it. */
  readonly length: number;
  readonly payload: Uint8Array;
  readonly truncated: boolean;
  /**
   * The transport checksum is not filled in yet (offloaded, locally generated or from a veth):
   * a changed packet handed back must carry a complete checksum.
   */
  readonly checksumNotReady: boolean;
  /** A GSO super-packet (larger than the MTU, segmented later). */
  readonly gso: boolean;
  /** Kernel receive time in ms since the epoch, 0 when the kernel gave none (locally sent packets). */
  readonly timeMs: number;
  /** Owner of the local socket, when the kernel knows it. */
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

export interface PacketQueueOptions {
  /** NFQUEUE number, 0..65535. */
  readonly queue: number;
  /** Bytes of each packet copied to JS (default 128: headers and the start of the payload). Max 65535. */
  readonly copyRange?: number;
  /** Time JS has to answer before the addon applies the default verdict (default 250 ms). */
  readonly deadlineMs?: number;
  /** Verdict for packets JS does not answer in time, and for a full queue (default 'accept' = fail-open). */
  readonly defaultVerdict?: PacketVerdict;
  /** Packets outstanding at once before the oldest gets its default early (default 4096). */
  readonly maxPending?: number;
  /** Kernel queue length (default 4096). */
  readonly maxQueueLength?: number;
  /**
   * Accept TCP segments that only acknowledge (no payload; none of SYN, FIN, RST, URG) in the
   * addon's thread without handing them to JS (counted in `answeredNatively`). Default false.
   */
  readonly acceptBareTcpAcks?: boolean;
  /** Packets per batch handed to onPackets (default 64). */
  readonly batchSize?: number;
  /** Called on the JS thread with each batch; answer each packet with verdict() / verdicts(). */
  readonly onPackets: (packets: readonly QueuedPacket[], queue: PacketQueue) => void;
  /** A thrown handler error; the batch's packets then get the default at their deadline. */
  readonly onError?: (error: unknown) => void;
}

export interface VerdictEntry {
  readonly id: number;
  readonly verdict: PacketVerdict;
  /** Sets the packet mark (nfmark) along with the verdict. */
  readonly mark?: number;
}

export interface PacketQueue {
  readonly queue: number;
  /** Applies a verdict; returns false when it came too late (the default was applied already). */
  verdict(id: number, verdict: PacketVerdict, options?: { readonly mark?: number }): boolean;
  /**
   * Applies many verdicts in one system call; returns the ids of the packets whose answer came too
   * late: the kernel had applied the default verdict (and no mark) already, so for them this call
   * changed nothing. Empty when every answer was in time.
   */
  verdicts(entries: readonly VerdictEntry[]): readonly number[];
  /**
   * Verdict with a changed packet: the whole packet from the network header (a shorter buffer
   * truncates the packet, so change only packets that were not truncated). Checksums are the caller's.
   */
  verdictWithPayload(
    id: number,
    verdict: PacketVerdict,
    payload: Uint8Array,
    options?: { readonly mark?: number },
  ): boolean;
  stats(): ChannelStats;
  /** Gives every outstanding packet the default verdict and unbinds the queue. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

/**
 * Binds an NFQUEUE queue in the current network namespace. Needs CAP_NET_ADMIN. Steer traffic to
 * it with installQueueSteering() (queue bypass: traffic flows while nothing is bound).
 */
export function openPacketQueue(options: PacketQueueOptions): Opened<PacketQueue> {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return { available: false, reason: loaded.reason };
  const addon = loaded.addon;
  if (!Number.isInteger(options.queue) || options.queue < 0 || options.queue > 65535)
    return { available: false, reason: `nfqueue: queue number ${options.queue} is not in 0..65535` };
  const copyRange = Math.min(Math.max(options.copyRange ?? 128, 0), 65535);
  const defaultAccept = (options.defaultVerdict ?? 'accept') === 'accept';
  let handle: NativeHandle | undefined;
  let closed = false;
  const queue: PacketQueue = {
    queue: options.queue,
    get closed() {
      return closed;
    },
    verdict(id, verdict, opts) {
      if (closed || handle === undefined) return false;
      const marks = opts?.mark === undefined ? undefined : Uint32Array.of(opts.mark >>> 0);
      return addon.queueVerdicts(handle, Float64Array.of(id), Uint8Array.of(verdict === 'accept' ? 1 : 0), marks) === 0;
    },
    verdicts(entries) {
      if (closed || handle === undefined) return entries.map((e) => e.id);
      // Entries without a mark go in a call without marks, so those packets keep the mark they had.
      const plain = entries.filter((e) => e.mark === undefined);
      const marked = entries.filter((e) => e.mark !== undefined);
      const late: number[] = [];
      const send = (list: readonly VerdictEntry[], marks: Uint32Array | undefined) => {
        if (list.length === 0) return;
        const flags = new Uint8Array(list.length);
        const ids = Float64Array.from(list, (e) => e.id);
        if (addon.queueVerdicts(handle as NativeHandle, ids, acceptFlags(list), marks, flags) === 0) return;
        for (let i = 0; i < list.length; i++) if (flags[i] === 1) late.push(ids[i] as number);
      };
      send(plain, undefined);
      send(
        marked,
        Uint32Array.from(marked, (e) => (e.mark ?? 0) >>> 0),
      );
      return late;
    },
    verdictWithPayload(id, verdict, payload, opts) {
      if (closed || handle === undefined) return false;
      if (payload.byteLength > 65_000) throw new RangeError('nfqueue: changed packet must be under 65000 bytes');
      return !addon.queueVerdictPayload(handle, id, verdict === 'accept', payload, opts?.mark);
    },
    stats() {
      if (handle === undefined) throw new Error('nfqueue: not open');
      return addon.queueStats(handle);
    },
    close() {
      if (closed || handle === undefined) return;
      closed = true;
      addon.queueClose(handle);
    },
  };
  const onBatch = (records: ArrayBuffer, data: ArrayBuffer, count: number) => {
    const packets = decodeBatch(records, data, count).map(
      (r): QueuedPacket => ({
        id: r.ticket,
        hook: r.kind & 0xff,
        hwProtocol: r.hwProtocol,
        mark: r.mark,
        inInterface: r.indev,
        outInterface: r.outdev,
        length: r.originalLength,
        payload: r.payload,
        truncated: r.payload.byteLength < r.originalLength,
        checksumNotReady: ((r.kind >>> 8) & SKB_CSUM_NOT_READY) !== 0,
        gso: ((r.kind >>> 8) & SKB_GSO) !== 0,
        timeMs: r.timeMs,
        uid: r.uid,
        gid: r.gid,
      }),
    );
    try {
      options.onPackets(packets, queue);
    } catch (error) {
      options.onError?.(error);
    }
  };
  try {
    handle = addon.queueOpen(
      {
        queue: options.queue,
        copyRange,
        deadlineMs: Math.max(1, Math.round(options.deadlineMs ?? 250)),
        defaultAccept,
        maxPending: options.maxPending ?? 4096,
        maxQueueLength: options.maxQueueLength ?? 4096,
        batchSize: options.batchSize ?? 64,
        acceptBareTcpAcks: options.acceptBareTcpAcks ? 1 : 0,
      },
      onBatch,
    );
  } catch (error) {
    return { available: false, reason: describeNativeError(error) };
  }
  return { available: true, value: queue };
}

function acceptFlags(entries: readonly VerdictEntry[]): Uint8Array {
  return Uint8Array.from(entries, (e) => (e.verdict === 'accept' ? 1 : 0));
}
