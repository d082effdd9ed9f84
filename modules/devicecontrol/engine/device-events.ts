import type { NewEvent, Severity } from '@bulwark/protocol';
import type { DeviceDecision } from './device-policy.js';
import type { UsbDevice } from './usb-device.js';

/** Every event type the module emits. */
export const DEVICE_EVENT_TYPES = [
  'device-attached',
  'device-blocked',
  'device-limited',
  'enforcement-failed',
] as const;
export type DeviceEventType = (typeof DEVICE_EVENT_TYPES)[number];

/** What the agent did on the host for one decision. */
export interface EnforcementOutcome {
  /** Block devices set read-only (or back to writable for full access). */
  readonly readOnlyDevices: readonly string[];
  /** Mount points remounted read-only. */
  readonly remounted: readonly string[];
  /** Steps that failed, each a sentence; non-empty makes the event an enforcement failure. */
  readonly failures: readonly string[];
}

const ACTION: Record<DeviceDecision['access'], string> = { full: 'Allow', 'read-only': 'Read-only', block: 'Block' };

export function describeDevice(device: UsbDevice): string {
  const name = [device.manufacturer, device.product].filter((s) => s !== undefined).join(' ');
  const id = `${device.vendorId}:${device.productId}`;
  return `${name === '' ? 'USB device' : name} (${id}${device.serial ? ` serial ${device.serial}` : ''}) at ${device.busId}`;
}

/**
 * The event for a decision carried out (or not) on a device. Pure: the agent supplies the
 * outcome of its host actions. Null when nothing is worth reporting (full access while
 * reportAttached is off).
 */
export function deviceEvent(
  device: UsbDevice,
  decision: DeviceDecision,
  outcome: EnforcementOutcome,
  reportAttached: boolean,
): NewEvent | null {
  let type: DeviceEventType;
  let severity: Severity;
  if (outcome.failures.length > 0) {
    type = 'enforcement-failed';
    severity = 'high';
  } else if (decision.access === 'block') {
    type = 'device-blocked';
    severity = 'medium';
  } else if (decision.access === 'read-only') {
    type = 'device-limited';
    severity = 'low';
  } else {
    if (!reportAttached) return null;
    type = 'device-attached';
    severity = 'info';
  }
  const verb =
    type === 'enforcement-failed'
      ? `could not be ${decision.access === 'block' ? 'blocked' : 'made read-only'}: ${outcome.failures[0]}`
      : type === 'device-blocked'
        ? 'blocked'
        : type === 'device-limited'
          ? 'made read-only'
          : 'attached';
  return {
    module: 'devicecontrol',
    type,
    severity,
    action: type === 'enforcement-failed' ? `Failed: ${ACTION[decision.access]}` : ACTION[decision.access],
    summary: `${describeDevice(device)} ${verb}`.slice(0, 2048),
    details: {
      busId: device.busId,
      vendorId: device.vendorId,
      productId: device.productId,
      ...(device.serial !== undefined ? { serial: device.serial } : {}),
      ...(device.manufacturer !== undefined ? { manufacturer: device.manufacturer } : {}),
      ...(device.product !== undefined ? { product: device.product } : {}),
      classes: [...decision.classes],
      access: decision.access,
      reason: decision.reason,
      ...(decision.exception !== null ? { exception: { ...decision.exception } } : {}),
      blockDevices: device.blockDevices.map((b) => b.name),
      readOnlyDevices: [...outcome.readOnlyDevices],
      remounted: [...outcome.remounted],
      ...(outcome.failures.length > 0 ? { failures: [...outcome.failures] } : {}),
    },
  };
}
