import { openUeventMonitor } from '@bulwark/kernel';

/**
 * Where kernel uevents come from: the kernel's netlink socket in production (through the
 * kernel package's native channel), a synthetic source in tests (this machine has no USB bus).
 */
export type UeventItem = { readonly kind: 'message'; readonly bytes: Uint8Array } | { readonly kind: 'overrun' };

export interface UeventSource {
  /** Starts delivering; returns the reason when it cannot (no addon, no kernel support). Never throws. */
  open(onItems: (items: readonly UeventItem[]) => void): { available: true } | { available: false; reason: string };
  close(): void;
}

/** The kernel's uevents over NETLINK_KOBJECT_UEVENT. */
export function kernelUeventSource(): UeventSource {
  let close: (() => void) | null = null;
  return {
    open(onItems) {
      const opened = openUeventMonitor({ onMessages: onItems });
      if (!opened.available) return { available: false, reason: `uevents: ${opened.reason}` };
      close = () => opened.value.close();
      return { available: true };
    },
    close() {
      close?.();
      close = null;
    },
  };
}
