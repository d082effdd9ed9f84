import { type Static, Type } from '@sinclair/typebox';

/**
 * A USB device as the module sees it: identity (vendor, product, serial), what it is (device and
 * interface classes) and what the host made of it (block devices with their partitions, network
 * interfaces). Built by the agent from sysfs (or a uevent) with the engine's parsers; plain data,
 * so the policy decision is a pure function of it.
 */

export const UsbInterface = Type.Object(
  {
    number: Type.Integer({ minimum: 0, maximum: 255 }),
    class: Type.Integer({ minimum: 0, maximum: 255 }),
    subclass: Type.Integer({ minimum: 0, maximum: 255 }),
    protocol: Type.Integer({ minimum: 0, maximum: 255 }),
  },
  { additionalProperties: false },
);
export type UsbInterface = Static<typeof UsbInterface>;

export const BlockDevice = Type.Object(
  {
    /** Kernel name: `sdb`, `sr0` (and in tests a loop device). */
    name: Type.String({ maxLength: 64 }),
    /** `MAJOR:MINOR`, how mounts name it in mountinfo. */
    dev: Type.String({ maxLength: 24 }),
    /** An optical drive (sr*, SCSI type 5). */
    cdrom: Type.Boolean(),
    readOnly: Type.Boolean(),
    partitions: Type.Array(
      Type.Object(
        { name: Type.String({ maxLength: 64 }), dev: Type.String({ maxLength: 24 }), readOnly: Type.Boolean() },
        { additionalProperties: false },
      ),
      { maxItems: 256 },
    ),
  },
  { additionalProperties: false },
);
export type BlockDevice = Static<typeof BlockDevice>;

export const UsbDevice = Type.Object(
  {
    /** The name under /sys/bus/usb/devices: `1-1`, `2-1.4`. */
    busId: Type.String({ maxLength: 64 }),
    /** Path under the sysfs root: `/devices/pci0000:00/…/usb1/1-1`. */
    devpath: Type.String({ maxLength: 1024 }),
    vendorId: Type.String({ pattern: '^[0-9a-f]{4}$' }),
    productId: Type.String({ pattern: '^[0-9a-f]{4}$' }),
    serial: Type.Optional(Type.String({ maxLength: 256 })),
    manufacturer: Type.Optional(Type.String({ maxLength: 256 })),
    product: Type.Optional(Type.String({ maxLength: 256 })),
    deviceClass: Type.Integer({ minimum: 0, maximum: 255 }),
    interfaces: Type.Array(UsbInterface, { maxItems: 64 }),
    blockDevices: Type.Array(BlockDevice, { maxItems: 64 }),
    networkInterfaces: Type.Array(Type.String({ maxLength: 32 }), { maxItems: 64 }),
    /** `authorized` as read: false while the kernel keeps the device unconfigured. */
    authorized: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type UsbDevice = Static<typeof UsbDevice>;

/** The device classes a policy has a setting for. */
export const DEVICE_CLASSES = [
  'mass-storage',
  'cd-dvd',
  'network-adapter',
  'wireless',
  'human-interface',
  'hub',
  'other',
] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/** USB class codes (usb.org "Defined Class Codes"). */
const CLASS = {
  comm: 0x02,
  hid: 0x03,
  massStorage: 0x08,
  hub: 0x09,
  cdcData: 0x0a,
  wireless: 0xe0,
  misc: 0xef,
  vendor: 0xff,
};
/** CDC subclasses of network control models: ECM 06, EEM 0c, NCM 0d, MBIM 0e. */
const CDC_NETWORK_SUBCLASSES = new Set([0x06, 0x0c, 0x0d, 0x0e]);
/** Mass-storage subclasses of optical drives: MMC-5 (ATAPI) 02. */
const OPTICAL_SUBCLASS = 0x02;

function interfaceClass(i: UsbInterface): DeviceClass | null {
  if (i.class === CLASS.massStorage) return i.subclass === OPTICAL_SUBCLASS ? 'cd-dvd' : 'mass-storage';
  if (i.class === CLASS.comm && CDC_NETWORK_SUBCLASSES.has(i.subclass)) return 'network-adapter';
  // RNDIS: wireless controller 01/03, or misc 04/01 (what Windows-style tethering phones show).
  if (i.class === CLASS.wireless && i.subclass === 0x01 && i.protocol === 0x03) return 'network-adapter';
  if (i.class === CLASS.misc && i.subclass === 0x04 && i.protocol === 0x01) return 'network-adapter';
  if (i.class === CLASS.wireless) return 'wireless';
  if (i.class === CLASS.hid) return 'human-interface';
  if (i.class === CLASS.hub) return 'hub';
  if (i.class === CLASS.cdcData) return null; // the data half of a CDC function: its control interface decides
  return 'other';
}

/**
 * What the device is, by its interfaces and what the host made of it. A composite device has
 * several classes (a phone: mass storage and a network adapter). A vendor-specific network
 * adapter (class ff, e.g. many USB Ethernet dongles) is known by the network interface the kernel
 * gave it; an optical drive by its sr block device.
 */
export function classifyDevice(device: UsbDevice): DeviceClass[] {
  const classes = new Set<DeviceClass>();
  if (device.deviceClass === CLASS.hub) classes.add('hub');
  for (const i of device.interfaces) {
    const c = interfaceClass(i);
    if (c !== null) classes.add(c);
  }
  if (device.networkInterfaces.length > 0) classes.add('network-adapter');
  if (device.blockDevices.some((b) => b.cdrom)) {
    classes.add('cd-dvd');
    if (device.blockDevices.every((b) => b.cdrom)) classes.delete('mass-storage');
  } else if (device.blockDevices.length > 0) classes.add('mass-storage');
  // Vendor-specific interfaces (class ff) of a device the host made a network adapter or storage of
  // are that function, not "other".
  const others = device.interfaces.filter((i) => interfaceClass(i) === 'other');
  const known = classes.has('network-adapter') || classes.has('mass-storage') || classes.has('cd-dvd');
  if (known && others.length > 0 && others.every((i) => i.class === CLASS.vendor)) classes.delete('other');
  if (classes.size === 0) classes.add('other');
  return DEVICE_CLASSES.filter((c) => classes.has(c));
}
