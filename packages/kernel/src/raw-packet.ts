import { loadAddon } from './addon.js';

/**
 * Sends one complete IPv4/IPv6 packet, header and checksums included, through a raw socket (needs
 * CAP_NET_RAW), in the calling process's network namespace. `mark` sets the packet mark, so that
 * rules can tell the packet apart. Used to answer a client on the server's behalf (a block page).
 */
export function sendRawPacket(
  packet: Uint8Array,
  options: { readonly mark?: number } = {},
): { readonly ok: true } | { readonly ok: false; readonly reason: string } {
  const loaded = loadAddon();
  if (!('addon' in loaded)) return { ok: false, reason: loaded.reason };
  if (packet.byteLength < 20 || packet.byteLength > 0xffff)
    return { ok: false, reason: 'raw packet: size out of range' };
  const result =
    options.mark === undefined ? loaded.addon.rawSend(packet) : loaded.addon.rawSend(packet, options.mark >>> 0);
  return result === 0 ? { ok: true } : { ok: false, reason: `raw packet: errno ${-result}` };
}
