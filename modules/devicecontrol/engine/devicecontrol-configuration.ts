import { type Static, Type } from '@sinclair/typebox';
import { DevicePolicy } from './device-policy.js';

/**
 * What the manager compiles for one computer and the agent applies: the module's part of the
 * security configuration. It lives in engine/ because both sides use it and the agent must
 * never import the manager.
 */
export const DevicecontrolConfiguration = Type.Object(
  {
    policy: DevicePolicy,
    /** Report devices let through with full access too (device-attached events), not only blocked and limited ones. */
    reportAttached: Type.Boolean(),
    /**
     * Hold new devices unauthorized until the agent has decided (the host controllers'
     * `authorized_default` = 0), as USBGuard does: no window between plug and decision, but while
     * the agent is down new devices stay unconfigured. Optional: absent means off.
     */
    holdNewDevices: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type DevicecontrolConfiguration = Static<typeof DevicecontrolConfiguration>;
