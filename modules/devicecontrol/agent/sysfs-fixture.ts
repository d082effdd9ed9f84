import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * Test support: lays out a sysfs tree as the kernel does for USB devices (this machine has no USB
 * bus), and writes the uevent messages the kernel would send when they are plugged in:
 *
 *   <root>/devices/pci0000:00/0000:00:14.0/usb1                       root hub (idVendor 1d6b, class 09)
 *   <root>/devices/…/usb1/1-1                                         idVendor idProduct serial manufacturer
 *                                                                     product bDeviceClass authorized descriptors
 *   <root>/devices/…/usb1/1-1/1-1:1.0                                 bInterfaceNumber bInterfaceClass …
 *   <root>/devices/…/1-1:1.0/host6/target6:0:0/6:0:0:0/type           SCSI peripheral type (0 disk, 5 CD/DVD)
 *   <root>/devices/…/6:0:0:0/block/sdb/{dev,ro,removable}             the disk, with partitions sdb1…
 *   <root>/devices/…/1-2:1.0/net/enx001122334455                      a network interface
 *   <root>/bus/usb/devices/{usb1,1-1,1-1:1.0} → ../../../devices/…    links, relative, as the kernel makes them
 *
 * Directories carry `subsystem` links that point back up the tree, so a reader that followed links
 * would loop; the module's reader must not.
 */

export interface FixtureBlock {
  readonly name: string;
  /** `MAJOR:MINOR`; a real loop device's number when the read-only path is tested for real. */
  readonly dev: string;
  readonly partitions?: readonly { readonly name: string; readonly dev: string }[];
  readonly cdrom?: boolean;
  readonly readOnly?: boolean;
}

export interface FixtureDevice {
  /** `1-1`, `1-2`, `1-1.4` (behind a hub on port 1). */
  readonly busId: string;
  readonly vendorId: string;
  readonly productId: string;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly deviceClass?: number;
  /** [class, subclass, protocol] per interface. */
  readonly interfaces: readonly (readonly [number, number, number])[];
  readonly block?: FixtureBlock;
  readonly net?: readonly string[];
  /**
   * Plugged in while the hub's authorized_default is 0: the kernel keeps the device unauthorized
   * and unconfigured, so it has its descriptors but no interface directories, disk or network
   * interface yet, and announces only the device itself.
   */
  readonly held?: boolean;
}

const HC = 'devices/pci0000:00/0000:00:14.0';
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

function write(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

function link(from: string, to: string): void {
  mkdirSync(dirname(from), { recursive: true });
  symlinkSync(relative(dirname(from), to), from);
}

/** The devpath (`/devices/…`) of a device of the fixture. */
export function fixtureDevpath(busId: string): string {
  const bus = busId.split('-')[0];
  const chain: string[] = [];
  const ports = (busId.split('-')[1] ?? '').split('.');
  for (let i = 1; i <= ports.length; i++) chain.push(`${bus}-${ports.slice(0, i).join('.')}`);
  return `/${HC}/usb${bus}/${chain.join('/')}`;
}

/** The binary descriptors file: device descriptor plus one configuration with the interfaces. */
export function fixtureDescriptors(d: FixtureDevice): Uint8Array {
  const v = Number.parseInt(d.vendorId, 16);
  const p = Number.parseInt(d.productId, 16);
  const device = [
    18,
    1,
    0x00,
    0x02,
    d.deviceClass ?? 0,
    0,
    0,
    64,
    v & 0xff,
    v >> 8,
    p & 0xff,
    p >> 8,
    0,
    1,
    1,
    2,
    3,
    1,
  ];
  const body = d.interfaces.flatMap(([c, s, pr], n) => [9, 4, n, 0, 1, c, s, pr, 0, 7, 5, 0x81, 2, 0, 2, 0]);
  const total = 9 + body.length;
  return new Uint8Array([...device, 9, 2, total & 0xff, total >> 8, d.interfaces.length, 1, 0, 0x80, 50, ...body]);
}

export function addRootHub(root: string, bus = 1): void {
  const dir = join(root, HC, `usb${bus}`);
  write(join(dir, 'idVendor'), '1d6b\n');
  write(join(dir, 'idProduct'), '0002\n');
  write(join(dir, 'bDeviceClass'), '09\n');
  write(join(dir, 'authorized'), '1\n');
  write(join(dir, 'authorized_default'), '1\n');
  link(join(dir, 'subsystem'), join(root, 'bus', 'usb'));
  link(join(root, 'bus', 'usb', 'devices', `usb${bus}`), dir);
}

/** Adds a device to the tree (as the kernel has it once the drivers are bound). */
export function addFixtureDevice(root: string, d: FixtureDevice): string {
  const devpath = fixtureDevpath(d.busId);
  const dir = join(root, devpath);
  write(join(dir, 'idVendor'), `${d.vendorId}\n`);
  write(join(dir, 'idProduct'), `${d.productId}\n`);
  write(join(dir, 'bDeviceClass'), `${hex2(d.deviceClass ?? 0)}\n`);
  write(join(dir, 'authorized'), d.held ? '0\n' : '1\n');
  write(join(dir, 'descriptors'), fixtureDescriptors(d));
  if (d.serial !== undefined) write(join(dir, 'serial'), `${d.serial}\n`);
  if (d.manufacturer !== undefined) write(join(dir, 'manufacturer'), `${d.manufacturer}\n`);
  if (d.product !== undefined) write(join(dir, 'product'), `${d.product}\n`);
  link(join(dir, 'subsystem'), join(root, 'bus', 'usb'));
  link(join(root, 'bus', 'usb', 'devices', d.busId), dir);
  if (d.held) return devpath;
  d.interfaces.forEach(([c, s, p], n) => {
    const name = `${d.busId}:1.${n}`;
    const idir = join(dir, name);
    write(join(idir, 'bInterfaceNumber'), `${hex2(n)}\n`);
    write(join(idir, 'bInterfaceClass'), `${hex2(c)}\n`);
    write(join(idir, 'bInterfaceSubClass'), `${hex2(s)}\n`);
    write(join(idir, 'bInterfaceProtocol'), `${hex2(p)}\n`);
    write(join(idir, 'authorized'), '1\n');
    link(join(root, 'bus', 'usb', 'devices', name), idir);
    if (n === 0 && d.block !== undefined) {
      const scsi = join(idir, 'host6', 'target6:0:0', '6:0:0:0');
      write(join(scsi, 'type'), d.block.cdrom ? '5\n' : '0\n');
      const bdir = join(scsi, 'block', d.block.name);
      write(join(bdir, 'dev'), `${d.block.dev}\n`);
      write(join(bdir, 'ro'), d.block.readOnly ? '1\n' : '0\n');
      write(join(bdir, 'removable'), '1\n');
      link(join(bdir, 'device'), scsi);
      link(join(bdir, 'subsystem'), join(root, 'class', 'block'));
      for (const part of d.block.partitions ?? []) {
        write(join(bdir, part.name, 'dev'), `${part.dev}\n`);
        write(join(bdir, part.name, 'ro'), '0\n');
        write(join(bdir, part.name, 'partition'), `${part.name.replace(/^\D+/, '')}\n`);
      }
    }
    if (n === 0) for (const ifname of d.net ?? []) write(join(idir, 'net', ifname, 'address'), '00:11:22:33:44:55\n');
  });
  return devpath;
}

export function removeFixtureDevice(root: string, busId: string): void {
  rmSync(join(root, fixtureDevpath(busId)), { recursive: true, force: true });
  for (const name of readdirSync(join(root, 'bus', 'usb', 'devices')))
    if (name === busId || name.startsWith(`${busId}:`))
      rmSync(join(root, 'bus', 'usb', 'devices', name), { force: true });
}

let seqnum = 1000;
const message = (action: string, devpath: string, vars: Record<string, string>): Uint8Array => {
  const parts = [`${action}@${devpath}`, `ACTION=${action}`, `DEVPATH=${devpath}`];
  for (const [k, v] of Object.entries(vars)) parts.push(`${k}=${v}`);
  parts.push(`SEQNUM=${seqnum++}`);
  return new TextEncoder().encode(`${parts.join('\0')}\0`);
};

/** The uevents the kernel sends when the device is plugged in, in its order. */
export function plugMessages(d: FixtureDevice): Uint8Array[] {
  const devpath = fixtureDevpath(d.busId);
  const product = `${Number.parseInt(d.vendorId, 16).toString(16)}/${Number.parseInt(d.productId, 16).toString(16)}/100`;
  const out = [message('add', devpath, { SUBSYSTEM: 'usb', DEVTYPE: 'usb_device', PRODUCT: product, TYPE: '0/0/0' })];
  if (d.held) return out;
  d.interfaces.forEach(([c, s, p], n) => {
    const ipath = `${devpath}/${d.busId}:1.${n}`;
    out.push(
      message('add', ipath, {
        SUBSYSTEM: 'usb',
        DEVTYPE: 'usb_interface',
        PRODUCT: product,
        INTERFACE: `${c}/${s}/${p}`,
      }),
    );
    if (n === 0 && d.block !== undefined) {
      const [major, minor] = d.block.dev.split(':');
      const bpath = `${ipath}/host6/target6:0:0/6:0:0:0/block/${d.block.name}`;
      out.push(
        message('add', bpath, {
          SUBSYSTEM: 'block',
          DEVTYPE: 'disk',
          DEVNAME: d.block.name,
          MAJOR: major ?? '0',
          MINOR: minor ?? '0',
        }),
      );
    }
    out.push(message('bind', ipath, { SUBSYSTEM: 'usb', DEVTYPE: 'usb_interface', DRIVER: 'usb-storage' }));
  });
  out.push(message('bind', devpath, { SUBSYSTEM: 'usb', DEVTYPE: 'usb_device', DRIVER: 'usb' }));
  return out;
}

export function unplugMessages(d: FixtureDevice): Uint8Array[] {
  return [message('remove', fixtureDevpath(d.busId), { SUBSYSTEM: 'usb', DEVTYPE: 'usb_device' })];
}

/** A uevent source the test drives: `push` delivers messages as the kernel channel would. */
export class SyntheticUeventSource {
  #deliver: ((items: readonly ({ kind: 'message'; bytes: Uint8Array } | { kind: 'overrun' })[]) => void) | null = null;
  opened = 0;
  open(onItems: (items: readonly ({ kind: 'message'; bytes: Uint8Array } | { kind: 'overrun' })[]) => void) {
    this.#deliver = onItems;
    this.opened++;
    return { available: true as const };
  }
  close(): void {
    this.#deliver = null;
  }
  get isOpen(): boolean {
    return this.#deliver !== null;
  }
  push(messages: readonly Uint8Array[]): void {
    this.#deliver?.(messages.map((bytes) => ({ kind: 'message' as const, bytes })));
  }
  overrun(): void {
    this.#deliver?.([{ kind: 'overrun' }]);
  }
}
