import { type Static, Type } from '@sinclair/typebox';
import { contentHash } from './json-hash.js';
import { severitySchema } from './severity.js';
import { UpdatePackageRefs } from './update-packages.js';

export const NetworkEngineMode = Type.Union([Type.Literal('inline'), Type.Literal('tap')], {
  description: 'inline: network modules enforce. tap: firewall, IPS and web reputation only detect.',
});
export type NetworkEngineMode = Static<typeof NetworkEngineMode>;

export const FailMode = Type.Union([Type.Literal('open'), Type.Literal('closed')], {
  description:
    'What kernel hooks do when the agent does not answer in time: open lets the traffic or file access through.',
});
export type FailMode = Static<typeof FailMode>;

/** Settings of the platform itself (setting keys `platform.<name>`), resolved like any module's. */
export const PlatformSettings = Type.Object(
  {
    heartbeatIntervalSeconds: Type.Integer({ minimum: 5, maximum: 86_400, default: 60 }),
    missedHeartbeatsBeforeOffline: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
    networkEngineMode: Type.Union([Type.Literal('inline'), Type.Literal('tap')], { default: 'inline' }),
    failMode: Type.Union([Type.Literal('open'), Type.Literal('closed')], { default: 'open' }),
    failDeadlineMilliseconds: Type.Integer({ minimum: 1, maximum: 60_000, default: 200 }),
    eventSpoolMaxEvents: Type.Integer({ minimum: 100, maximum: 10_000_000, default: 100_000 }),
    minimumEventSeverity: severitySchema({ default: 'info' }),
  },
  { additionalProperties: false },
);
export type PlatformSettings = Static<typeof PlatformSettings>;

export const ModuleConfiguration = Type.Object(
  {
    enabled: Type.Boolean(),
    configuration: Type.Unknown({ description: 'What the module compiled for this computer; module-specific' }),
  },
  { additionalProperties: false },
);
export type ModuleConfiguration = Static<typeof ModuleConfiguration>;

/**
 * Everything an agent needs to protect its host, compiled by the manager from the computer's
 * effective policy. `version` is the content hash of the rest, so equal content = equal version.
 */
export const SecurityConfiguration = Type.Object(
  {
    version: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    computerId: Type.String(),
    platform: PlatformSettings,
    modules: Type.Record(Type.String(), ModuleConfiguration),
    /** The update package each kind should run (update-packages.ts); absent when there is none. */
    updates: Type.Optional(UpdatePackageRefs),
  },
  { additionalProperties: false },
);
export type SecurityConfiguration = Static<typeof SecurityConfiguration>;

export function securityConfiguration(body: Omit<SecurityConfiguration, 'version'>): SecurityConfiguration {
  return { version: contentHash(body), ...body };
}
