import { type Static, Type } from '@sinclair/typebox';
import { Severity } from './severity.js';

/**
 * Evidence and fields, module-specific: any JSON object. Written as an open object rather than
 * `Type.Record(Type.String(), Type.Unknown())`, which accepts the same objects but whose compiled
 * check runs a key pattern (`^(.*)$`) over every member, allocating an entry per member: that was
 * about a sixth of the agent's per-event validation under a log flood. The static type stays a
 * record.
 */
const EventDetails = Type.Unsafe<Record<string, unknown>>(
  Type.Object({}, { additionalProperties: true, description: 'Evidence and fields, module-specific' }),
);

/**
 * An event as a module on the agent produces it, before it gets a sequence number.
 * `action` uses the product's words: e.g. `Reset`, `Deny`, `Detect Only: Reset`, `Log`.
 */
export const NewEvent = Type.Object(
  {
    module: Type.String({ minLength: 1, maxLength: 64, description: 'Module id, e.g. firewall' }),
    type: Type.String({ minLength: 1, maxLength: 128, description: 'Kind of event within the module' }),
    severity: Severity,
    ruleId: Type.Optional(Type.String({ maxLength: 128 })),
    action: Type.Optional(Type.String({ maxLength: 64 })),
    summary: Type.String({ maxLength: 2048, description: 'One line a person can read' }),
    details: Type.Optional(EventDetails),
    time: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type NewEvent = Static<typeof NewEvent>;

/** An event in the agent's spool and on the wire: numbered by the agent, in order, from 1. */
export const AgentEvent = Type.Composite(
  [
    Type.Omit(NewEvent, ['time']),
    Type.Object({
      seq: Type.Integer({ minimum: 1, description: 'Agent-side sequence number; the manager deduplicates on it' }),
      time: Type.String({ format: 'date-time' }),
    }),
  ],
  { additionalProperties: false },
);
export type AgentEvent = Static<typeof AgentEvent>;

/** Event types the platform itself emits (module `agent`). */
export const PlatformEventTypes = {
  eventsDropped: 'events-dropped',
  moduleError: 'module-error',
  configurationApplied: 'configuration-applied',
} as const;
