import { readdirSync, readFileSync } from 'node:fs';
import { type LoggedPacket, openPacketLog } from '@bulwark/kernel';

export type { LoggedPacket };

export type PacketSubscription =
  | { readonly available: true; close(): void }
  | { readonly available: false; readonly reason: string };

/** Subscribes to an NFLOG group; injectable so the adapter can be driven without the kernel. */
export type PacketLogOpener = (
  group: number,
  onPackets: (packets: readonly LoggedPacket[]) => void,
) => PacketSubscription;

export const kernelPacketLog: PacketLogOpener = (group, onPackets) => {
  const opened = openPacketLog({ group, copyRange: 96, flushMs: 50, onPackets });
  if (!opened.available) return { available: false, reason: opened.reason };
  const log = opened.value;
  return { available: true, close: () => log.close() };
};

/** Interface names by index, read from /sys/class/net of the current namespace, refreshed on a miss. */
export class InterfaceNames {
  #names = new Map<number, string>();

  name(index: number): string | undefined {
    if (index <= 0) return undefined;
    if (!this.#names.has(index)) this.#refresh();
    return this.#names.get(index);
  }

  #refresh(): void {
    const next = new Map<number, string>();
    try {
      for (const name of readdirSync('/sys/class/net')) {
        try {
          next.set(Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim()), name);
        } catch {
          // An interface that vanished between listing and reading has no index to remember.
        }
      }
    } catch {
      // No /sys: events go without interface names.
    }
    this.#names = next;
  }
}
