import { ok, type ParseResult, refuse } from './parse-result.js';
import type { UsbInterface } from './usb-device.js';

/**
 * The binary `descriptors` file sysfs keeps for every USB device: the device descriptor followed
 * by the configuration descriptors with their interfaces and endpoints, as the device sent them.
 * It is there even while the device is not authorized (no interface directories yet), so it is
 * how a held device's interface classes are known. The device wrote these bytes: every length is
 * checked.
 */

/** Largest descriptors file read. */
export const MAX_DESCRIPTOR_BYTES = 65_536;
/** Most interfaces kept (alternate settings included). */
export const MAX_INTERFACES = 64;

export interface UsbDescriptors {
  readonly vendorId: string;
  readonly productId: string;
  readonly deviceClass: number;
  readonly deviceSubclass: number;
  readonly deviceProtocol: number;
  readonly interfaces: readonly UsbInterface[];
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export function parseUsbDescriptors(bytes: Uint8Array): ParseResult<UsbDescriptors> {
  if (bytes.length > MAX_DESCRIPTOR_BYTES)
    return refuse('too-long', `${bytes.length} bytes, more than ${MAX_DESCRIPTOR_BYTES}`);
  if (bytes.length < 18 || bytes[0] !== 18 || bytes[1] !== 1)
    return refuse('bad-device-descriptor', 'does not start with an 18-byte device descriptor');
  const u16 = (at: number): number => (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8);
  const interfaces: UsbInterface[] = [];
  let at = 18;
  while (at < bytes.length) {
    const length = bytes[at] ?? 0;
    const type = bytes[at + 1];
    if (length < 2 || at + length > bytes.length)
      return refuse('bad-length', `descriptor length ${length} at offset ${at} does not fit`, at);
    if (type === 4) {
      if (length < 9) return refuse('bad-interface-descriptor', `interface descriptor of ${length} bytes`, at);
      const entry: UsbInterface = {
        number: bytes[at + 2] ?? 0,
        class: bytes[at + 5] ?? 0,
        subclass: bytes[at + 6] ?? 0,
        protocol: bytes[at + 7] ?? 0,
      };
      const seen = interfaces.some(
        (i) =>
          i.number === entry.number &&
          i.class === entry.class &&
          i.subclass === entry.subclass &&
          i.protocol === entry.protocol,
      );
      if (!seen) {
        if (interfaces.length >= MAX_INTERFACES)
          return refuse('too-many-interfaces', `more than ${MAX_INTERFACES} interfaces`, at);
        interfaces.push(entry);
      }
    }
    at += length;
  }
  return ok({
    vendorId: hex4(u16(8)),
    productId: hex4(u16(10)),
    deviceClass: bytes[4] ?? 0,
    deviceSubclass: bytes[5] ?? 0,
    deviceProtocol: bytes[6] ?? 0,
    interfaces,
  });
}
