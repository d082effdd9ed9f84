import { severitySchema } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { FORWARDING_FORMATS } from './event-message.js';

export const DEFAULT_MAX_BACKLOG = 1_000_000;

const Transport = Type.Union([Type.Literal('udp'), Type.Literal('tcp'), Type.Literal('tls')], {
  description: 'udp: RFC 5426, fire-and-forget; tcp and tls: RFC 6587 octet counting, queued and retried',
});
const Format = Type.Union(
  FORWARDING_FORMATS.map((f) => Type.Literal(f)),
  { description: 'Message body: CEF, LEEF 2.0 or one-line JSON (see docs/forwarding.md)' },
);
const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.:_\\-\\[\\]%]+$' });
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Modules = Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64 }), Type.Null()], {
  description: 'Module ids to forward; null = every module',
});
const CaCertificate = Type.Union([Type.String({ minLength: 1, maxLength: 65_536 }), Type.Null()], {
  description: 'PEM of the CA (or self-signed certificate) to trust for tls; null = the system CAs',
});
const PolicyId = Type.Union(
  [
    Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' }),
    Type.Null(),
  ],
  {
    description: 'Forward only events of computers under this policy (and its descendants); null = global',
  },
);
const MaxBacklog = Type.Integer({
  minimum: 1,
  maximum: 1_000_000_000,
  description: 'Queued events kept while the destination is down',
});

export const NewDestination = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    transport: Transport,
    host: Host,
    port: Port,
    format: Format,
    modules: Type.Optional(Modules),
    minimumSeverity: Type.Optional(severitySchema()),
    caCertificate: Type.Optional(CaCertificate),
    policyId: Type.Optional(PolicyId),
    maxBacklog: Type.Optional(MaxBacklog),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type NewDestination = Static<typeof NewDestination>;

export const DestinationChange = Type.Partial(NewDestination, { additionalProperties: false });
export type DestinationChange = Static<typeof DestinationChange>;

export const Destination = Type.Object({
  id: Type.String(),
  name: Type.String(),
  transport: Transport,
  host: Type.String(),
  port: Port,
  format: Format,
  modules: Modules,
  minimumSeverity: severitySchema(),
  caCertificate: CaCertificate,
  policyId: Type.Union([Type.String(), Type.Null()]),
  maxBacklog: Type.Integer(),
  enabled: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});
export type Destination = Static<typeof Destination>;

const NullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const DestinationStatus = Type.Object({
  id: Type.String(),
  backlog: Type.Integer({ description: 'Events stored but not yet sent that match the destination' }),
  sent: Type.Integer(),
  skipped: Type.Integer({ description: 'Events dropped from the queue because the backlog exceeded maxBacklog' }),
  lastSentAt: NullableTime,
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastErrorAt: NullableTime,
});
export type DestinationStatus = Static<typeof DestinationStatus>;
