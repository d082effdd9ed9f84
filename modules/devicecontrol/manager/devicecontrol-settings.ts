import { type Static, Type } from '@sinclair/typebox';
import { Access, AllowOrBlock, DeviceException, MAX_EXCEPTIONS } from '../engine/index.js';

const exceptions = (description: string) =>
  Type.Array(DeviceException, { default: [], maxItems: MAX_EXCEPTIONS, description });

/**
 * The module's settings. Every property has a `default`; one is `enabled`. Keys are
 * `devicecontrol.<property>`; policies and computers store only what they override, so a child
 * policy inherits each class setting it does not set. Exceptions come in two lists so that a
 * computer can add its own (`computerExceptions`) without replacing its policy's (`exceptions`).
 */
export const DevicecontrolSettings = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Turn device control on for computers under this policy' }),
    massStorage: Type.Unsafe<Static<typeof Access>>({
      ...Access,
      default: 'block',
      description: 'USB mass storage (sticks, disks, card readers): full, read-only or block',
    }),
    cdDvd: Type.Unsafe<Static<typeof Access>>({
      ...Access,
      default: 'read-only',
      description: 'USB CD/DVD drives: full, read-only or block',
    }),
    networkAdapter: Type.Unsafe<Static<typeof AllowOrBlock>>({
      ...AllowOrBlock,
      default: 'block',
      description: 'USB network adapters (Ethernet dongles, tethering phones): full or block',
    }),
    wireless: Type.Unsafe<Static<typeof AllowOrBlock>>({
      ...AllowOrBlock,
      default: 'block',
      description: 'USB wireless controllers (Bluetooth): full or block',
    }),
    humanInterface: Type.Unsafe<Static<typeof AllowOrBlock>>({
      ...AllowOrBlock,
      default: 'full',
      description: 'Keyboards, mice and other input devices: full or block (block can lock out the console)',
    }),
    other: Type.Unsafe<Static<typeof AllowOrBlock>>({
      ...AllowOrBlock,
      default: 'full',
      description: 'Every other USB device (printers, cameras, audio, vendor-specific): full or block',
    }),
    exceptions: exceptions(
      'Devices treated apart from their class, by vendor, product and serial (wildcards * and ?); the first match wins',
    ),
    computerExceptions: exceptions('Exceptions set on one computer; they come before the policy exceptions'),
    holdNewDevices: Type.Boolean({
      default: false,
      description:
        'Keep new USB devices unconfigured until the agent has decided (authorized_default=0): no window between plug and decision, but while the agent is down new devices stay unusable',
    }),
    reportAttached: Type.Boolean({
      default: true,
      description: 'Report devices let through with full access too, not only blocked and limited ones',
    }),
  },
  { additionalProperties: false },
);
export type DevicecontrolSettings = Static<typeof DevicecontrolSettings>;
