import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where the kernel layer stands: the wrapper says why a feature cannot run instead of throwing. */
export type Availability = { readonly available: true } | { readonly available: false; readonly reason: string };

/** A kernel handle that opened, or the reason it could not (addon missing, no privilege, no kernel support). */
export type Opened<T> =
  | { readonly available: true; readonly value: T }
  | { readonly available: false; readonly reason: string };

export interface ChannelStats {
  /** Items read from the kernel. */
  readonly received: number;
  /** Items handed to JS. */
  readonly delivered: number;
  /** Verdicts/responses from JS that arrived in time. */
  readonly answered: number;
  /** Verdicts/responses from JS that arrived after the default had been applied (ignored). */
  readonly lateAnswers: number;
  /** Items that got the default verdict because the deadline passed (or at close). */
  readonly defaulted: number;
  /** Items that got the default early because more were outstanding than maxPending. */
  readonly overflowDefaulted: number;
  /** Batches (and their items) not handed to JS because JS was too far behind. */
  readonly batchesLost: number;
  readonly itemsLost: number;
  readonly receiveErrors: number;
  /** Items the addon answered itself, never handed to JS (a queue's bare TCP ACKs, when asked). */
  readonly answeredNatively: number;
  /** Items waiting for an answer now. */
  readonly pending: number;
}

/** The native functions, as src/native/addon.c defines them. @internal */
export interface NativeAddon {
  queueOpen(options: object, onBatch: BatchCallback): NativeHandle;
  queueVerdicts(
    h: NativeHandle,
    tickets: Float64Array,
    accept: Uint8Array,
    marks?: Uint32Array,
    late?: Uint8Array,
  ): number;
  queueVerdictPayload(h: NativeHandle, ticket: number, accept: boolean, payload: Uint8Array, mark?: number): boolean;
  queueStats(h: NativeHandle): ChannelStats;
  queueClose(h: NativeHandle): void;
  rawSend(packet: Uint8Array, mark?: number): number;
  logOpen(options: object, onBatch: BatchCallback): NativeHandle;
  logStats(h: NativeHandle): ChannelStats;
  logClose(h: NativeHandle): void;
  fanOpen(options: object, onBatch: BatchCallback): NativeHandle;
  fanMark(h: NativeHandle, remove: boolean, scope: number, mask: number, path: string): void;
  fanRespond(h: NativeHandle, tickets: Float64Array, allow: Uint8Array): number;
  fanRead(h: NativeHandle, ticket: number, offset: number, length: number): Buffer | null;
  fanStats(h: NativeHandle): ChannelStats & Readonly<Partial<Record<string, number>>>;
  fanCachePut(h: NativeHandle, stamp: Float64Array, path: string, flags: number): void;
  fanCacheClear(h: NativeHandle): void;
  fanRunners(h: NativeHandle, patterns: string[] | null): void;
  fanClose(h: NativeHandle): void;
  ueventOpen(options: object, onBatch: BatchCallback): NativeHandle;
  ueventStats(h: NativeHandle): ChannelStats;
  ueventClose(h: NativeHandle): void;
  readonly constants: Readonly<Record<string, number>>;
}

/** Opaque native handle. @internal */
export type NativeHandle = { readonly __nativeHandle: unique symbol };
/** records: RECORD_SIZE bytes per item (see batch-decoder.ts); data: payloads and text. @internal */
export type BatchCallback = (records: ArrayBuffer, data: ArrayBuffer, count: number) => void;

// BULWARK_KERNEL_ADDON points at another build of the addon (or at nothing, to run without it).
const addonPath =
  process.env.BULWARK_KERNEL_ADDON || fileURLToPath(new URL('../build/Release/bulwark_kernel.node', import.meta.url));
let loaded: { addon: NativeAddon } | { reason: string } | undefined;

/** Loads the addon once; never throws. @internal */
export function loadAddon(): { addon: NativeAddon } | { reason: string } {
  if (loaded) return loaded;
  if (process.platform !== 'linux') {
    loaded = { reason: `addon not built: ${process.platform} is not Linux` };
  } else if (!existsSync(addonPath)) {
    loaded = {
      reason: 'addon not built: run `npm rebuild @bulwark/kernel` (needs python3, make and a C compiler)',
    };
  } else {
    try {
      loaded = { addon: createRequire(import.meta.url)(addonPath) as NativeAddon };
    } catch (error) {
      loaded = { reason: `addon not loadable: ${(error as Error).message}` };
    }
  }
  return loaded;
}

/** Whether the native addon is built and loads. Kernel features may still be missing: the open calls say. */
export function kernelAddonStatus(): Availability {
  const a = loadAddon();
  return 'addon' in a ? { available: true } : { available: false, reason: a.reason };
}

/** Turns an errno error from the addon into a reason a user can act on. @internal */
export function describeNativeError(error: unknown): string {
  const e = error as { message?: string; code?: string };
  const message = e?.message ?? String(error);
  if ((e?.code === 'EPERM' || e?.code === 'EACCES') && !/needs|another/.test(message))
    return `${message}; needs root (CAP_NET_ADMIN / CAP_SYS_ADMIN)`;
  return message;
}
