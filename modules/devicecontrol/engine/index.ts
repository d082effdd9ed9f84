export {
  DEVICE_EVENT_TYPES,
  type DeviceEventType,
  describeDevice,
  deviceEvent,
  type EnforcementOutcome,
} from './device-events.js';
export {
  Access,
  AllowOrBlock,
  checkExceptions,
  type DeviceDecision,
  DeviceException,
  DevicePolicy,
  decideDevice,
  describeException,
  exceptionMatches,
  MAX_EXCEPTIONS,
  MAX_SERIAL_PATTERN_CHARS,
  type PlacedException,
  serialPatternMatches,
} from './device-policy.js';
export { DevicecontrolConfiguration } from './devicecontrol-configuration.js';
export { MAX_MOUNTS, type MountEntry, parseMountinfo } from './mountinfo-parser.js';
export type { ParseError, ParseResult } from './parse-result.js';
export {
  MAX_DEVICE_STRING_CHARS,
  parseClassCode,
  parseDeviceNumber,
  parseDeviceString,
  parseFlag,
  parseUeventInterface,
  parseUeventProduct,
  parseUsbId,
} from './sysfs-values.js';
export {
  checkDevpath,
  MAX_UEVENT_BYTES,
  MAX_UEVENT_KEYS,
  parseUeventFile,
  parseUeventMessage,
  UEVENT_ACTIONS,
  type Uevent,
  type UeventAction,
} from './uevent-parser.js';
export { MAX_DESCRIPTOR_BYTES, MAX_INTERFACES, parseUsbDescriptors, type UsbDescriptors } from './usb-descriptors.js';
export {
  BlockDevice,
  classifyDevice,
  DEVICE_CLASSES,
  type DeviceClass,
  UsbDevice,
  UsbInterface,
} from './usb-device.js';
export { USB_DEVICE_NAME, USB_INTERFACE_NAME, usbDevicePathOf } from './usb-path.js';
