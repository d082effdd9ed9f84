import { ok, type ParseResult, refuse } from './parse-result.js';
import { replaceControlCharacters } from './sysfs-values.js';

/**
 * The kernel's uevent messages as they arrive on a NETLINK_KOBJECT_UEVENT socket
 * (`ACTION@DEVPATH\0KEY=VALUE\0…`) and as sysfs shows a device's `uevent` file (`KEY=VALUE\n`).
 * Both are untrusted bytes here: a message that does not have the kernel's shape is refused
 * whole with the reason, never half-read.
 */

/** Largest message accepted. The kernel's own buffer (UEVENT_BUFFER_SIZE) is 2048 bytes of variables. */
export const MAX_UEVENT_BYTES = 8192;
/** Most variables accepted in one message; the kernel sends at most 64 (UEVENT_NUM_ENVP). */
export const MAX_UEVENT_KEYS = 64;
/** Longest variable name accepted. */
export const MAX_UEVENT_KEY_CHARS = 64;

export const UEVENT_ACTIONS = ['add', 'remove', 'change', 'move', 'online', 'offline', 'bind', 'unbind'] as const;
export type UeventAction = (typeof UEVENT_ACTIONS)[number];

export interface Uevent {
  readonly action: UeventAction;
  /** Path under /sys, e.g. `/devices/pci0000:00/0000:00:14.0/usb1/1-1`. */
  readonly devpath: string;
  /** Variables: SUBSYSTEM, DEVTYPE, PRODUCT, INTERFACE, DEVNAME, MAJOR, MINOR, SEQNUM… */
  readonly properties: Readonly<Record<string, string>>;
}

const KEY = /^[A-Za-z0-9_]{1,64}$/;
const decoder = new TextDecoder('utf-8', { fatal: false });

function isAction(value: string): value is UeventAction {
  return (UEVENT_ACTIONS as readonly string[]).includes(value);
}

/** A devpath is absolute, without `..` steps or control characters (it is joined to the sysfs root). */
export function checkDevpath(devpath: string): string | null {
  if (!devpath.startsWith('/devices/') && devpath !== '/devices') return 'devpath does not start with /devices/';
  if (devpath.split('/').some((step) => step === '..' || step === '.')) return 'devpath has a . or .. step';
  if (replaceControlCharacters(devpath) !== devpath) return 'devpath has a control character';
  if (devpath.length > 1024) return 'devpath longer than 1024 characters';
  return null;
}

function parseVariables(parts: readonly string[], offsets: readonly number[]): ParseResult<Record<string, string>> {
  const entries: [string, string][] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const at = offsets[i] ?? 0;
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0)
      return refuse('bad-variable', `variable without a name or "=": ${JSON.stringify(part.slice(0, 40))}`, at);
    const key = part.slice(0, eq);
    if (!KEY.test(key))
      return refuse('bad-variable', `variable name ${JSON.stringify(key.slice(0, 40))} is not A-Z, 0-9, _`, at);
    if (entries.some(([k]) => k === key)) return refuse('duplicate-variable', `variable ${key} given twice`, at);
    entries.push([key, part.slice(eq + 1)]);
    if (entries.length > MAX_UEVENT_KEYS)
      return refuse('too-many-variables', `more than ${MAX_UEVENT_KEYS} variables`, at);
  }
  return ok(Object.fromEntries(entries));
}

/** One netlink uevent message from the kernel. udev's re-broadcasts (`libudev\0…`) are refused. */
export function parseUeventMessage(bytes: Uint8Array): ParseResult<Uevent> {
  if (bytes.length === 0) return refuse('empty', 'empty message');
  if (bytes.length > MAX_UEVENT_BYTES)
    return refuse('too-long', `message of ${bytes.length} bytes, more than ${MAX_UEVENT_BYTES}`);
  const text = decoder.decode(bytes);
  if (text.startsWith('libudev\u0000')) return refuse('not-kernel', 'a udev message, not a kernel uevent');
  const parts = text.split('\u0000');
  const offsets: number[] = [];
  let offset = 0;
  for (const part of parts) {
    offsets.push(offset);
    offset += part.length + 1;
  }
  const header = parts[0] ?? '';
  const at = header.indexOf('@');
  if (at <= 0) return refuse('bad-header', 'the message does not start with ACTION@DEVPATH');
  const action = header.slice(0, at);
  const devpath = header.slice(at + 1);
  if (!isAction(action)) return refuse('unknown-action', `unknown action ${JSON.stringify(action.slice(0, 20))}`);
  const badPath = checkDevpath(devpath);
  if (badPath !== null) return refuse('bad-devpath', badPath, at + 1);
  const variables = parseVariables(parts.slice(1), offsets.slice(1));
  if (!variables.ok) return variables;
  const properties = variables.value;
  if (properties.ACTION !== undefined && properties.ACTION !== action)
    return refuse('inconsistent', `header says ${action}, ACTION=${properties.ACTION}`);
  if (properties.DEVPATH !== undefined && properties.DEVPATH !== devpath)
    return refuse('inconsistent', 'header and DEVPATH name different devices');
  return ok({ action, devpath, properties });
}

/** A sysfs `uevent` file: `KEY=VALUE` lines (the variables the kernel would send for the device). */
export function parseUeventFile(text: string): ParseResult<Record<string, string>> {
  if (text.length > MAX_UEVENT_BYTES)
    return refuse('too-long', `file of ${text.length} characters, more than ${MAX_UEVENT_BYTES}`);
  const lines = text.split('\n');
  return parseVariables(
    lines,
    lines.map((_, i) => i + 1),
  );
}
