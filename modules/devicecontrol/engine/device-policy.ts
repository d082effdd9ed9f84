import { type Static, Type } from '@sinclair/typebox';
import { classifyDevice, type DeviceClass, type UsbDevice } from './usb-device.js';

/**
 * The policy a computer enforces and the decision it gives for one device. An exception (by
 * vendor, product and serial) wins over the class settings; among exceptions the first that
 * matches wins, the computer's own before its policy's. A device with several classes gets the
 * strictest of their settings: a phone that is storage and a network adapter is blocked when
 * either is.
 */

export const Access = Type.Union([Type.Literal('full'), Type.Literal('read-only'), Type.Literal('block')]);
export type Access = Static<typeof Access>;
export const AllowOrBlock = Type.Union([Type.Literal('full'), Type.Literal('block')]);

/** Most exceptions one computer receives (policy and computer together). */
export const MAX_EXCEPTIONS = 1_000;
/** Longest serial pattern. */
export const MAX_SERIAL_PATTERN_CHARS = 256;

export const DeviceException = Type.Object(
  {
    /** Four hex digits, or `*` for any vendor (then a serial is required). */
    vendorId: Type.String({ pattern: '^([0-9a-fA-F]{4}|\\*)$' }),
    /** Four hex digits or `*` (default). */
    productId: Type.Optional(Type.String({ pattern: '^([0-9a-fA-F]{4}|\\*)$' })),
    /** The serial, with `*` (any run) and `?` (one character) as wildcards; case matters. Default `*`. */
    serial: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_SERIAL_PATTERN_CHARS })),
    access: Access,
    /** Why the exception exists ("backup disk of the DBA team"), shown in events. */
    note: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type DeviceException = Static<typeof DeviceException>;

export const DevicePolicy = Type.Object(
  {
    massStorage: Access,
    cdDvd: Access,
    networkAdapter: AllowOrBlock,
    wireless: AllowOrBlock,
    humanInterface: AllowOrBlock,
    other: AllowOrBlock,
    exceptions: Type.Array(
      Type.Composite(
        [DeviceException, Type.Object({ source: Type.Union([Type.Literal('computer'), Type.Literal('policy')]) })],
        {
          additionalProperties: false,
        },
      ),
      { maxItems: MAX_EXCEPTIONS },
    ),
  },
  { additionalProperties: false },
);
export type DevicePolicy = Static<typeof DevicePolicy>;
export type PlacedException = DevicePolicy['exceptions'][number];

export interface DeviceDecision {
  readonly access: Access;
  readonly reason: string;
  readonly classes: readonly DeviceClass[];
  /** The exception that decided, when one did. */
  readonly exception: PlacedException | null;
}

const RANK: Record<Access, number> = { full: 0, 'read-only': 1, block: 2 };
const CLASS_WORDS: Record<DeviceClass, string> = {
  'mass-storage': 'USB mass storage',
  'cd-dvd': 'CD/DVD drives',
  'network-adapter': 'USB network adapters',
  wireless: 'wireless controllers (Bluetooth)',
  'human-interface': 'keyboards, mice and other input devices',
  hub: 'hubs',
  other: 'other USB devices',
};

function settingOf(policy: DevicePolicy, c: DeviceClass): Access {
  switch (c) {
    case 'mass-storage':
      return policy.massStorage;
    case 'cd-dvd':
      return policy.cdDvd;
    case 'network-adapter':
      return policy.networkAdapter;
    case 'wireless':
      return policy.wireless;
    case 'human-interface':
      return policy.humanInterface;
    case 'hub':
      // A hub is never blocked: that would cut off every device behind it, each of which is judged itself.
      return 'full';
    case 'other':
      return policy.other;
  }
}

/** `*` any run, `?` one character; everything else literal. */
export function serialPatternMatches(pattern: string, serial: string): boolean {
  // Iterative glob with backtracking to the last star: linear in practice, no regular expression built from input.
  let p = 0;
  let s = 0;
  let star = -1;
  let mark = 0;
  while (s < serial.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = s;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === serial[s])) {
      p++;
      s++;
    } else if (star >= 0) {
      p = star + 1;
      s = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

export function exceptionMatches(exception: DeviceException, device: UsbDevice): boolean {
  const vendor = exception.vendorId.toLowerCase();
  const product = (exception.productId ?? '*').toLowerCase();
  if (vendor !== '*' && vendor !== device.vendorId) return false;
  if (product !== '*' && product !== device.productId) return false;
  const serial = exception.serial ?? '*';
  if (serial === '*') return true;
  // A device without a serial matches only "any serial": a pattern names devices that have one.
  return device.serial !== undefined && serialPatternMatches(serial, device.serial);
}

export function describeException(e: DeviceException): string {
  const parts = [`vendor ${e.vendorId}`];
  if ((e.productId ?? '*') !== '*') parts.push(`product ${e.productId}`);
  if ((e.serial ?? '*') !== '*') parts.push(`serial ${e.serial}`);
  return `${parts.join(' ')}${e.note ? ` (${e.note})` : ''}`;
}

/** What the policy says for this device, and why. Pure. */
export function decideDevice(policy: DevicePolicy, device: UsbDevice): DeviceDecision {
  const classes = classifyDevice(device);
  const exception = policy.exceptions.find((e) => exceptionMatches(e, device)) ?? null;
  if (exception !== null) {
    return {
      access: exception.access,
      reason: `${exception.source} exception for ${describeException(exception)}: ${exception.access === 'full' ? 'full access' : exception.access}`,
      classes,
      exception,
    };
  }
  let access: Access = 'full';
  let decidedBy: DeviceClass = classes[0] ?? 'other';
  for (const c of classes) {
    const setting = settingOf(policy, c);
    if (RANK[setting] > RANK[access]) {
      access = setting;
      decidedBy = c;
    }
  }
  const reason =
    access === 'full'
      ? `${classes.map((c) => CLASS_WORDS[c]).join(', ')}: full access by policy`
      : `${CLASS_WORDS[decidedBy]} ${access === 'block' ? 'are blocked' : 'are read-only'} by policy`;
  return { access, reason, classes, exception: null };
}

/** Problems with exceptions the schema cannot state, each with a JSON pointer into the list. */
export function checkExceptions(exceptions: readonly DeviceException[]): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  exceptions.forEach((e, i) => {
    if (e.vendorId === '*' && (e.serial ?? '*') === '*' && (e.productId ?? '*') === '*')
      issues.push({
        path: `/${i}`,
        message: 'an exception for any vendor must name a serial; use the class settings for all devices',
      });
    if (e.vendorId === '*' && (e.productId ?? '*') !== '*')
      issues.push({ path: `/${i}/productId`, message: 'a product id means nothing without its vendor id' });
  });
  return issues;
}
