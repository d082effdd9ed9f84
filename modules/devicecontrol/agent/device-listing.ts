import { classifyDevice, type DevicePolicy, decideDevice } from '../engine/index.js';
import { listUsbDevicePaths, readUsbDevice } from './sysfs-reader.js';

/** One attached device as `list-devices` (`bulwark computers devices`) answers it. */
export interface ListedDevice {
  readonly busId: string;
  readonly vendorId: string;
  readonly productId: string;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly classes: readonly string[];
  readonly authorized: boolean;
  readonly blockDevices: readonly {
    readonly name: string;
    readonly readOnly: boolean;
    readonly partitions: readonly string[];
  }[];
  readonly networkInterfaces: readonly string[];
  /** What the policy in force says, or `not enforced` while the module is off. */
  readonly access: string;
  readonly reason: string;
}

/** Every USB device present, with what the policy (null: module off) does with it. Changes nothing. */
export async function listDevices(sysfsRoot: string, policy: DevicePolicy | null): Promise<ListedDevice[]> {
  const paths = await listUsbDevicePaths(sysfsRoot);
  if (!paths.ok) throw new Error(paths.reason);
  const out: ListedDevice[] = [];
  for (const devpath of paths.value) {
    const read = await readUsbDevice(sysfsRoot, devpath);
    if (!read.ok) continue;
    const d = read.value;
    const decision = policy === null ? null : decideDevice(policy, d);
    out.push({
      busId: d.busId,
      vendorId: d.vendorId,
      productId: d.productId,
      ...(d.serial !== undefined ? { serial: d.serial } : {}),
      ...(d.manufacturer !== undefined ? { manufacturer: d.manufacturer } : {}),
      ...(d.product !== undefined ? { product: d.product } : {}),
      classes: decision?.classes ?? classifyDevice(d),
      authorized: d.authorized,
      blockDevices: d.blockDevices.map((b) => ({
        name: b.name,
        readOnly: b.readOnly,
        partitions: b.partitions.map((p) => p.name),
      })),
      networkInterfaces: d.networkInterfaces,
      access: decision?.access ?? 'not enforced',
      reason: decision?.reason ?? 'device control is off on this computer',
    });
  }
  return out;
}
