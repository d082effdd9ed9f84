import { ok, type ParseResult, refuse } from './parse-result.js';

/**
 * Values of sysfs attributes as the kernel prints them: `idVendor` "0781\n", `bInterfaceClass`
 * "08\n", `ro` "0\n", `dev` "8:16\n", `serial` as the device reports it. Files read from a sysfs
 * root are untrusted too (a test tree, a bind mount): each value is checked, not assumed.
 */

/** Longest serial, manufacturer or product string kept (USB string descriptors are ≤ 126 characters). */
export const MAX_DEVICE_STRING_CHARS = 256;

/** Control characters (C0 and DEL) replaced by `?`. */
export function replaceControlCharacters(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? '?' : ch;
  }
  return out;
}

const trimEnd = (text: string): string => text.replace(/\n$/, '');

/** A 16-bit USB id (vendor or product) as four lower-case hex digits. */
export function parseUsbId(text: string): ParseResult<string> {
  const value = trimEnd(text).trim().toLowerCase();
  if (!/^[0-9a-f]{4}$/.test(value))
    return refuse('bad-id', `not a 4-digit hex id: ${JSON.stringify(value.slice(0, 20))}`);
  return ok(value);
}

/** An 8-bit class, subclass or protocol code printed as two hex digits. */
export function parseClassCode(text: string): ParseResult<number> {
  const value = trimEnd(text).trim().toLowerCase();
  if (!/^[0-9a-f]{2}$/.test(value))
    return refuse('bad-class', `not a 2-digit hex code: ${JSON.stringify(value.slice(0, 20))}`);
  return ok(Number.parseInt(value, 16));
}

/** A 0/1 flag (`ro`, `removable`, `authorized`). */
export function parseFlag(text: string): ParseResult<boolean> {
  const value = trimEnd(text).trim();
  if (value === '0') return ok(false);
  if (value === '1') return ok(true);
  return refuse('bad-flag', `not 0 or 1: ${JSON.stringify(value.slice(0, 20))}`);
}

/** A device number `MAJOR:MINOR` (a block device's `dev` file). */
export function parseDeviceNumber(text: string): ParseResult<{ major: number; minor: number }> {
  const match = /^(\d{1,10}):(\d{1,10})$/.exec(trimEnd(text).trim());
  if (match === null) return refuse('bad-dev', `not MAJOR:MINOR: ${JSON.stringify(text.slice(0, 20))}`);
  const major = Number(match[1]);
  const minor = Number(match[2]);
  if (major > 0xfff || minor > 0xfffff) return refuse('bad-dev', `device number ${major}:${minor} out of range`);
  return ok({ major, minor });
}

/**
 * A string the device itself reports (serial, manufacturer, product). Devices put anything there:
 * control characters are replaced so the value cannot forge lines in logs, and it is cut to
 * MAX_DEVICE_STRING_CHARS. An empty value is absent.
 */
export function parseDeviceString(text: string): string | undefined {
  const value = replaceControlCharacters(trimEnd(text)).trim().slice(0, MAX_DEVICE_STRING_CHARS);
  return value === '' ? undefined : value;
}

/** The uevent PRODUCT variable of a USB device or interface: `vendor/product/bcdDevice` in hex without padding. */
export function parseUeventProduct(text: string): ParseResult<{ vendorId: string; productId: string }> {
  const match = /^([0-9a-fA-F]{1,4})\/([0-9a-fA-F]{1,4})\/[0-9a-fA-F]{1,4}$/.exec(text);
  if (match === null)
    return refuse('bad-product', `PRODUCT is not vendor/product/release: ${JSON.stringify(text.slice(0, 30))}`);
  return ok({
    vendorId: (match[1] ?? '').toLowerCase().padStart(4, '0'),
    productId: (match[2] ?? '').toLowerCase().padStart(4, '0'),
  });
}

/** The uevent INTERFACE variable of a USB interface: `class/subclass/protocol` in decimal. */
export function parseUeventInterface(text: string): ParseResult<{ class: number; subclass: number; protocol: number }> {
  const match = /^(\d{1,3})\/(\d{1,3})\/(\d{1,3})$/.exec(text);
  const codes = match?.slice(1, 4).map(Number) ?? [];
  if (match === null || codes.some((c) => c > 255))
    return refuse('bad-interface', `INTERFACE is not class/subclass/protocol: ${JSON.stringify(text.slice(0, 30))}`);
  return ok({ class: codes[0] ?? 0, subclass: codes[1] ?? 0, protocol: codes[2] ?? 0 });
}
