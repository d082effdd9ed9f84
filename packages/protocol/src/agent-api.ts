import { type Static, Type } from '@sinclair/typebox';
import { AgentCommand, MAX_COMMANDS_PER_HEARTBEAT } from './agent-commands.js';
import { AgentEvent } from './event.js';
import { Inventory } from './inventory.js';
import { ModuleStatus } from './module-status.js';
import { MAX_UPDATE_KINDS, UpdateReport } from './update-packages.js';

/**
 * The agent ↔ manager protocol on the agent port (default 4120, HTTPS with mutual TLS).
 * Every call is agent-initiated; the agent never listens. All calls but activation are
 * authenticated by the client certificate the manager's CA signed at activation, whose
 * subject CN is the computer id.
 */
export const AgentRoutes = {
  activate: { method: 'POST', path: '/agent/v1/activate' },
  heartbeat: { method: 'POST', path: '/agent/v1/heartbeat' },
  configuration: { method: 'GET', path: '/agent/v1/configuration/:version' },
  events: { method: 'POST', path: '/agent/v1/events' },
  inventory: { method: 'POST', path: '/agent/v1/inventory' },
  wake: { method: 'GET', path: '/agent/v1/wake' },
  /** The outcome of a command the heartbeat answer carried (agent-commands.ts). */
  commandOutcome: { method: 'POST', path: '/agent/v1/commands/:id/outcome' },
  /** Module snapshots (module-snapshots.ts): which the manager lacks, then their pages. */
  snapshotOffer: { method: 'POST', path: '/agent/v1/snapshots/offer' },
  snapshotPage: { method: 'POST', path: '/agent/v1/snapshots/page' },
  deactivate: { method: 'POST', path: '/agent/v1/deactivate' },
  /** A new client certificate for a new key, before the current one expires. */
  renewCertificate: { method: 'POST', path: '/agent/v1/certificate' },
  /** One chunk of an update package (update-packages.ts), `?offset=N`. */
  updateChunk: { method: 'GET', path: '/agent/v1/updates/:kind/:version' },
} as const;

export const ActivationRequest = Type.Object(
  {
    token: Type.String({ minLength: 8, maxLength: 256 }),
    csr: Type.String({ maxLength: 16_384, description: 'PKCS#10 certificate signing request, PEM' }),
    hostname: Type.String({ minLength: 1, maxLength: 253 }),
    agentVersion: Type.String({ maxLength: 64 }),
    platform: Type.Optional(Type.String({ maxLength: 256, description: 'e.g. Debian GNU/Linux 12 (x86_64)' })),
  },
  { additionalProperties: false },
);
export type ActivationRequest = Static<typeof ActivationRequest>;

export const ActivationResponse = Type.Object(
  {
    computerId: Type.String(),
    certificate: Type.String({ description: 'Client certificate, PEM, subject CN = computerId' }),
    caCertificate: Type.String({ description: "The manager's CA, PEM: the agent trusts only it" }),
    heartbeatIntervalSeconds: Type.Integer(),
  },
  { additionalProperties: false },
);
export type ActivationResponse = Static<typeof ActivationResponse>;

export const CertificateRenewalRequest = Type.Object(
  { csr: Type.String({ maxLength: 16_384, description: 'PKCS#10 request for a new key, PEM' }) },
  { additionalProperties: false },
);
export type CertificateRenewalRequest = Static<typeof CertificateRenewalRequest>;

/**
 * The new certificate. It becomes the computer's current one (and the old one is revoked) at the
 * first call made with it; until then the old one keeps working.
 */
export const CertificateRenewalResponse = Type.Object(
  { certificate: Type.String({ description: 'Client certificate, PEM, subject CN = computerId' }) },
  { additionalProperties: false },
);
export type CertificateRenewalResponse = Static<typeof CertificateRenewalResponse>;

export const HeartbeatRequest = Type.Object(
  {
    appliedConfigurationVersion: Type.Union([Type.String(), Type.Null()]),
    configurationError: Type.Optional(Type.String({ maxLength: 4096 })),
    modules: Type.Array(ModuleStatus, { maxItems: 64 }),
    inventoryDigest: Type.Optional(Type.String({ maxLength: 128 })),
    spool: Type.Object(
      {
        pendingEvents: Type.Integer({ minimum: 0 }),
        droppedEvents: Type.Integer({ minimum: 0 }),
        /** Why the spool cannot write now (a full disk), while it cannot. */
        problem: Type.Optional(Type.String({ maxLength: 1024 })),
      },
      { additionalProperties: false },
    ),
    agentVersion: Type.String({ maxLength: 64 }),
    /** This agent runs commands from the heartbeat answer; absent (older agents) = never send any. */
    acceptsCommands: Type.Optional(Type.Boolean()),
    /** The update packages in use, per kind (update-packages.ts); absent from older agents. */
    updates: Type.Optional(Type.Array(UpdateReport, { maxItems: MAX_UPDATE_KINDS })),
    /** This agent takes the list of manager nodes in the answer; absent (older agents) = never send it. */
    acceptsManagerNodes: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type HeartbeatRequest = Static<typeof HeartbeatRequest>;

/** Manager nodes a heartbeat answer names at most (and an agent keeps). */
export const MAX_MANAGER_NODES = 16;

export const HeartbeatResponse = Type.Object(
  {
    configurationVersion: Type.String({ description: 'Version the agent should run; fetch it if different' }),
    heartbeatIntervalSeconds: Type.Integer(),
    sendInventory: Type.Boolean({ description: 'True when the manager has no inventory with the digest sent' }),
    /** Commands to run now, only to agents that sent `acceptsCommands`. */
    commands: Type.Optional(Type.Array(AgentCommand, { maxItems: MAX_COMMANDS_PER_HEARTBEAT })),
    /**
     * The agent URLs of the manager nodes of the cluster alive now (oldest first), only to agents
     * that sent `acceptsManagerNodes`: the agent fails over across these and the ones it was activated with.
     */
    managerNodes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 512, pattern: '^https://' }), { maxItems: MAX_MANAGER_NODES }),
    ),
  },
  { additionalProperties: false },
);
export type HeartbeatResponse = Static<typeof HeartbeatResponse>;

export const MAX_EVENTS_PER_BATCH = 1000;

/**
 * The largest event the manager stores, as JSON (UTF-8 bytes). A batch holding a larger one is
 * answered 413 naming it; the agent then sends smaller batches until that event is alone, and
 * drops it (counted as invalid), so it cannot hold back the events after it.
 */
export const MAX_EVENT_BYTES = 65_536;

export const EventBatch = Type.Object(
  { events: Type.Array(AgentEvent, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }) },
  { additionalProperties: false },
);
export type EventBatch = Static<typeof EventBatch>;

export const EventBatchAck = Type.Object(
  {
    accepted: Type.Integer({ description: 'Events stored by this call' }),
    duplicates: Type.Integer({ description: 'Events already stored earlier (same computer and seq)' }),
  },
  { additionalProperties: false },
);
export type EventBatchAck = Static<typeof EventBatchAck>;

export const InventoryReport = Type.Object({ inventory: Inventory }, { additionalProperties: false });
export type InventoryReport = Static<typeof InventoryReport>;

/** Long-poll: the manager answers when it wants a heartbeat now, or with wake=false at the timeout. */
export const WakeQuery = Type.Object(
  { timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300, default: 55 })) },
  { additionalProperties: false },
);
export const WakeResponse = Type.Object({ wake: Type.Boolean() }, { additionalProperties: false });
export type WakeResponse = Static<typeof WakeResponse>;
