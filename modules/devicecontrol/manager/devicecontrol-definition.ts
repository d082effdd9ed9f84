import {
  type AgentEvent,
  type ManagerModule,
  type SiemField,
  type SiemFieldInput,
  SiemFieldList,
  siemText,
} from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import {
  checkExceptions,
  DEVICE_EVENT_TYPES,
  type DevicecontrolConfiguration,
  type DeviceException,
} from '../engine/index.js';
import { DevicecontrolSettings } from './devicecontrol-settings.js';

const TITLES: Record<string, string> = {
  'device-attached': 'USB device attached',
  'device-blocked': 'USB device blocked',
  'device-limited': 'USB storage made read-only',
  'enforcement-failed': 'USB device control failed',
};

function presentEvent(event: AgentEvent): { title: string } {
  const d = event.details ?? {};
  const name = typeof d.product === 'string' ? d.product : `${d.vendorId ?? '?'}:${d.productId ?? '?'}`;
  return { title: `${TITLES[event.type] ?? event.type}: ${name}` };
}

function siemFields({ details }: SiemFieldInput): readonly SiemField[] {
  const out = new SiemFieldList();
  // cs1 (ruleId), cs2 (computerName) and cs6 (details) are the platform's; the action goes in act.
  out.add('cs3', 'usbVendor', siemText(details.vendorId), 'usbVendor');
  out.add('cs4', 'usbProduct', siemText(details.productId), 'usbProduct');
  out.add('cs5', 'usbSerial', siemText(details.serial), 'usbSerial');
  out.add('reason', 'reason', siemText(details.reason));
  return out.fields;
}

/** The manager side of the module: what the platform's registry lists. */
export const managerModule: ManagerModule<typeof DevicecontrolSettings> = {
  id: 'devicecontrol',
  name: 'Device control',
  description:
    'Decides what may be plugged in: USB mass storage full access, read-only or blocked, other device classes allowed or blocked, with exceptions by vendor, product and serial.',
  settings: DevicecontrolSettings,
  compile: ({ settings }): DevicecontrolConfiguration => ({
    policy: {
      massStorage: settings.massStorage,
      cdDvd: settings.cdDvd,
      networkAdapter: settings.networkAdapter,
      wireless: settings.wireless,
      humanInterface: settings.humanInterface,
      other: settings.other,
      exceptions: [
        ...settings.computerExceptions.map((e: DeviceException) => ({ ...e, source: 'computer' as const })),
        ...settings.exceptions.map((e: DeviceException) => ({ ...e, source: 'policy' as const })),
      ],
    },
    reportAttached: settings.reportAttached,
    holdNewDevices: settings.holdNewDevices,
  }),
  checkSetting: (property, value) =>
    property === 'exceptions' || property === 'computerExceptions' ? checkExceptions(value as DeviceException[]) : [],
  commands: [
    {
      name: 'list-devices',
      description:
        'The USB devices attached to the computer, each with its classes and the decision the policy gives it',
      arguments: Type.Object({}, { additionalProperties: false }),
      cli: {
        verb: 'devices',
        summary: 'List the USB devices attached to the computer and what device control does with each',
      },
    },
    {
      name: 'reevaluate',
      description: 'Evaluate every attached device again under the configuration in force',
      arguments: Type.Object({}, { additionalProperties: false }),
      cli: { verb: 'reevaluate-devices', summary: 'Evaluate every attached USB device again' },
    },
  ],
  eventTypes: DEVICE_EVENT_TYPES,
  presentEvent,
  siemFields,
};
