import { type ChannelStats, describeNativeError, loadAddon, type NativeHandle, type Opened } from './addon.js';
import { decodeBatch } from './batch-decoder.js';

/** record.kind values of src/native/uevent.h. */
const UEVENT_OVERRUN = 1;

/**
 * What the kernel broadcast on NETLINK_KOBJECT_UEVENT, as it came: `ACTION@DEVPATH\0KEY=VALUE\0…`.
 * Parsing is the caller's (the bytes are untrusted input for its parser).
 */
export type UeventItem =
  | { readonly kind: 'message'; readonly bytes: Uint8Array }
  /** The socket buffer overflowed and the kernel dropped messages: look at the devices again. */
  | { readonly kind: 'overrun' };

export interface UeventMonitorOptions {
  /** Messages per batch handed to onMessages (default 64). */
  readonly batchSize?: number;
  /** Socket receive buffer (default 4 MiB; above net.core.rmem_max needs CAP_NET_ADMIN). */
  readonly receiveBufferBytes?: number;
  readonly onMessages: (items: readonly UeventItem[]) => void;
  readonly onError?: (error: unknown) => void;
}

export interface UeventMonitor {
  /** `received` counts messages from the kernel, `itemsLost` overruns and batches JS was too slow for, `receiveErrors` messages refused (not from the kernel, cut). */
  stats(): ChannelStats;
  close(): void;
  readonly closed: boolean;
}

/**
 * Subscribes to the kernel's uevents (group 1 of NETLINK_KOBJECT_UEVENT) on a native thread.
 * Any process may listen; the kernel broadcasts into the initial network namespace (and those
 * of the initial user namespace), so a monitor inside another network namespace may hear nothing.
 */
export function openUeventMonitor(options: UeventMonitorOptions): Opened<UeventMonitor> {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return { available: false, reason: loaded.reason };
  const addon = loaded.addon;
  let closed = false;
  const onBatch = (records: ArrayBuffer, data: ArrayBuffer, count: number) => {
    const items = decodeBatch(records, data, count).map(
      (r): UeventItem =>
        // Copied out of the batch buffer: the caller may keep a message past this call.
        r.kind === UEVENT_OVERRUN ? { kind: 'overrun' } : { kind: 'message', bytes: r.payload.slice() },
    );
    try {
      options.onMessages(items);
    } catch (error) {
      options.onError?.(error);
    }
  };
  let handle: NativeHandle;
  try {
    handle = addon.ueventOpen(
      { batchSize: options.batchSize ?? 64, receiveBufferBytes: options.receiveBufferBytes ?? 4 << 20 },
      onBatch,
    );
  } catch (error) {
    return { available: false, reason: describeNativeError(error) };
  }
  return {
    available: true,
    value: {
      get closed() {
        return closed;
      },
      stats: () => addon.ueventStats(handle),
      close() {
        if (closed) return;
        closed = true;
        addon.ueventClose(handle);
      },
    },
  };
}
