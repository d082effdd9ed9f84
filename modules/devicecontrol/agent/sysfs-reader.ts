import { readdir, readFile, realpath } from 'node:fs/promises';
import { join, relative } from 'node:path';
import {
  type BlockDevice,
  parseClassCode,
  parseDeviceNumber,
  parseDeviceString,
  parseFlag,
  parseUsbDescriptors,
  parseUsbId,
  USB_DEVICE_NAME,
  USB_INTERFACE_NAME,
  type UsbDevice,
  type UsbInterface,
} from '../engine/index.js';

/**
 * Reads USB devices from a sysfs tree: `<root>/bus/usb/devices/<busId>` (a link into
 * `<root>/devices/…`) with the attributes the kernel gives them. The root is a parameter, so tests
 * lay out a tree as the kernel does; reading stays here, checking values is the engine's.
 */

/** How deep below a USB device the reader looks for block and network devices. */
export const MAX_WALK_DEPTH = 10;

/** `gone`: the device is not in the tree (unplugged between a uevent and the read), which is no error. */
export type ReadResult<T> = { ok: true; value: T } | { ok: false; reason: string; gone?: boolean };

async function attribute(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, name), 'latin1');
  } catch {
    return undefined;
  }
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    // Links (subsystem, driver, port) are not followed: the device tree is made of real directories.
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

async function readInterface(dir: string): Promise<UsbInterface | null> {
  const codes = await Promise.all(
    ['bInterfaceNumber', 'bInterfaceClass', 'bInterfaceSubClass', 'bInterfaceProtocol'].map(async (n) =>
      parseClassCode((await attribute(dir, n)) ?? ''),
    ),
  );
  if (codes.some((c) => !c.ok)) return null;
  const [number, cls, subclass, protocol] = codes.map((c) => (c.ok ? c.value : 0));
  return { number: number ?? 0, class: cls ?? 0, subclass: subclass ?? 0, protocol: protocol ?? 0 };
}

async function readBlockDevice(dir: string, name: string): Promise<BlockDevice | null> {
  const dev = parseDeviceNumber((await attribute(dir, 'dev')) ?? '');
  if (!dev.ok) return null;
  const ro = parseFlag((await attribute(dir, 'ro')) ?? '0');
  // SCSI peripheral type 5 is a CD/DVD drive; the kernel also names them sr<N>.
  const scsiType = ((await attribute(join(dir, 'device'), 'type')) ?? '').trim();
  const partitions: BlockDevice['partitions'] = [];
  for (const child of await subdirectories(dir)) {
    if ((await attribute(join(dir, child), 'partition')) === undefined) continue;
    const pdev = parseDeviceNumber((await attribute(join(dir, child), 'dev')) ?? '');
    const pro = parseFlag((await attribute(join(dir, child), 'ro')) ?? '0');
    if (pdev.ok)
      partitions.push({ name: child, dev: `${pdev.value.major}:${pdev.value.minor}`, readOnly: pro.ok && pro.value });
  }
  return {
    name,
    dev: `${dev.value.major}:${dev.value.minor}`,
    cdrom: scsiType === '5' || /^sr\d+$/.test(name),
    readOnly: ro.ok && ro.value,
    partitions,
  };
}

/** Block and network devices the kernel made below a USB device (not below a USB device behind it). */
async function walkFunctions(
  dir: string,
  depth: number,
  found: { block: BlockDevice[]; net: string[] },
): Promise<void> {
  if (depth > MAX_WALK_DEPTH) return;
  for (const child of await subdirectories(dir)) {
    if (USB_DEVICE_NAME.test(child)) continue;
    const path = join(dir, child);
    if (child === 'block') {
      for (const name of await subdirectories(path)) {
        const block = await readBlockDevice(join(path, name), name);
        if (block !== null) found.block.push(block);
      }
    } else if (child === 'net') {
      found.net.push(...(await subdirectories(path)));
    } else {
      await walkFunctions(path, depth + 1, found);
    }
  }
}

/** One USB device by its devpath (`/devices/…/1-1`). */
export async function readUsbDevice(sysfsRoot: string, devpath: string): Promise<ReadResult<UsbDevice>> {
  const dir = join(sysfsRoot, devpath);
  const busId = devpath.split('/').pop() ?? '';
  const vendorText = await attribute(dir, 'idVendor');
  if (vendorText === undefined && (await subdirectories(dir)).length === 0)
    return { ok: false, reason: `${devpath}: not in the sysfs tree`, gone: true };
  const vendor = parseUsbId(vendorText ?? '');
  const product = parseUsbId((await attribute(dir, 'idProduct')) ?? '');
  if (!vendor.ok || !product.ok) {
    const why = !vendor.ok ? vendor.error.message : !product.ok ? product.error.message : '';
    return { ok: false, reason: `${devpath}: idVendor/idProduct unreadable (${why})` };
  }
  const deviceClass = parseClassCode((await attribute(dir, 'bDeviceClass')) ?? '00');
  const authorized = parseFlag((await attribute(dir, 'authorized')) ?? '1');
  const interfaces: UsbInterface[] = [];
  const children = await subdirectories(dir);
  for (const child of children.filter((c) => USB_INTERFACE_NAME.test(c)).sort()) {
    const i = await readInterface(join(dir, child));
    if (i !== null) interfaces.push(i);
  }
  if (interfaces.length === 0) {
    // A device that is not authorized (or not configured yet) has no interface directories; the
    // descriptors it sent still say what it is.
    try {
      const parsed = parseUsbDescriptors(new Uint8Array(await readFile(join(dir, 'descriptors'))));
      if (parsed.ok) interfaces.push(...parsed.value.interfaces);
    } catch {
      // no descriptors file: the device is judged by what else is known
    }
  }
  const found = { block: [] as BlockDevice[], net: [] as string[] };
  await walkFunctions(dir, 0, found);
  const device: UsbDevice = {
    busId,
    devpath,
    vendorId: vendor.value,
    productId: product.value,
    deviceClass: deviceClass.ok ? deviceClass.value : 0,
    interfaces,
    blockDevices: found.block,
    networkInterfaces: found.net,
    authorized: !authorized.ok || authorized.value,
  };
  const serial = parseDeviceString((await attribute(dir, 'serial')) ?? '');
  const manufacturer = parseDeviceString((await attribute(dir, 'manufacturer')) ?? '');
  const productName = parseDeviceString((await attribute(dir, 'product')) ?? '');
  return {
    ok: true,
    value: {
      ...device,
      ...(serial !== undefined ? { serial } : {}),
      ...(manufacturer !== undefined ? { manufacturer } : {}),
      ...(productName !== undefined ? { product: productName } : {}),
    },
  };
}

/** The devpaths of every USB device present (root hubs `usbN` and interfaces left out). */
export function listUsbDevicePaths(sysfsRoot: string): Promise<ReadResult<string[]>> {
  return listBusEntries(sysfsRoot, (name) => USB_DEVICE_NAME.test(name));
}

/** The devpaths of the root hubs (`usbN`), one per host controller bus. */
export function listRootHubPaths(sysfsRoot: string): Promise<ReadResult<string[]>> {
  return listBusEntries(sysfsRoot, (name) => /^usb\d{1,3}$/.test(name));
}

async function listBusEntries(sysfsRoot: string, wanted: (name: string) => boolean): Promise<ReadResult<string[]>> {
  const dir = join(sysfsRoot, 'bus', 'usb', 'devices');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A host without a USB bus has no /sys/bus/usb at all: nothing is attached, nothing to do.
    if (code === 'ENOENT') return { ok: true, value: [] };
    return { ok: false, reason: `${dir}: ${(error as Error).message}` };
  }
  const root = await realpath(sysfsRoot);
  const paths: string[] = [];
  for (const name of names.filter(wanted).sort()) {
    try {
      const target = await realpath(join(dir, name));
      const devpath = `/${relative(root, target)}`;
      if (devpath.startsWith('/devices/')) paths.push(devpath);
    } catch {
      // gone between readdir and realpath: unplugged
    }
  }
  return { ok: true, value: paths };
}
