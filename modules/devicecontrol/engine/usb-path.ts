/**
 * Where a device sits in the USB tree, from its devpath alone. A USB device is named
 * `BUS-PORT[.PORT…]` (`1-1`, `2-1.4`), an interface `BUS-PORT…:CONFIG.INTERFACE` (`1-1:1.0`);
 * everything the kernel made of an interface (a SCSI host, its disk, a network interface) sits
 * below it in the tree.
 */
export const USB_DEVICE_NAME = /^\d{1,3}-\d{1,3}(\.\d{1,3}){0,6}$/;
export const USB_INTERFACE_NAME = /^\d{1,3}-\d{1,3}(\.\d{1,3}){0,6}:\d{1,3}\.\d{1,3}$/;

/** The devpath of the USB device a devpath belongs to (itself, or its nearest USB ancestor), or null. */
export function usbDevicePathOf(devpath: string): string | null {
  const steps = devpath.split('/');
  for (let i = steps.length - 1; i >= 0; i--) {
    if (USB_DEVICE_NAME.test(steps[i] ?? '')) return steps.slice(0, i + 1).join('/');
  }
  return null;
}
