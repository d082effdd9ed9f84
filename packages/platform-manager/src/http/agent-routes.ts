import {
  ActivationRequest,
  ActivationResponse,
  AgentRoutes,
  CertificateRenewalRequest,
  CertificateRenewalResponse,
  CommandOutcome,
  CommandOutcomeAck,
  EventBatch,
  EventBatchAck,
  HeartbeatRequest,
  HeartbeatResponse,
  InventoryReport,
  MAX_EVENT_BYTES,
  SecurityConfiguration,
  SnapshotOffer,
  SnapshotOfferAnswer,
  SnapshotPage,
  SnapshotPageAck,
  UPDATE_KIND_PATTERN,
  UpdateChunk,
  UpdateChunkQuery,
  WakeQuery,
  WakeResponse,
} from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { normaliseSerial } from './agent-auth.js';
import { AgentQuota } from './agent-quota.js';
import type { AgentServerOptions } from './agent-server.js';
import { problemResponses } from './common-schemas.js';
import { sendProblem } from './problem-types.js';
import type { TypeBoxProvider } from './schema-validation.js';
import { sendResult, sendServiceError } from './service-types.js';

// Per-route body limits: a full event batch or a host's package list is far bigger than a heartbeat.
// An agent answered 413 halves its batch and sends again, so the limit bounds memory, not events.
export const EVENTS_BODY_LIMIT = 4 * 1_048_576;
const INVENTORY_BODY_LIMIT = 16 * 1_048_576;
// A command result is cut to 256 KiB by the agent; a snapshot page is 500 entries of a few hundred bytes.
const COMMAND_OUTCOME_BODY_LIMIT = 1_048_576;
const SNAPSHOT_PAGE_BODY_LIMIT = 8 * 1_048_576;

// One agent holds one poll; a few more cover reconnects. Beyond that it is a misbehaving client.
const MAX_WAKE_POLLS_PER_COMPUTER = 4;
// The agent uploads one batch at a time; a second covers a retry racing a slow answer.
const MAX_EVENT_UPLOADS_PER_COMPUTER = 2;

const CommandParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

const UpdateParams = Type.Object(
  { kind: Type.String({ pattern: UPDATE_KIND_PATTERN }), version: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);

const VersionParams = Type.Object(
  { version: Type.String({ pattern: '^[0-9a-f]{64}$' }) },
  { additionalProperties: false },
);

/** Agent protocol handlers; `request.computerId` is set by agent-auth.ts for every route but activate. */
export async function agentRoutes(scope: FastifyInstance, options: AgentServerOptions): Promise<void> {
  const app = scope.withTypeProvider<TypeBoxProvider>();
  const { services, pki, wakeHub } = options;
  const quota = new AgentQuota(options.quota, options.now);
  const uploading = new Map<string, number>();

  app.post(
    AgentRoutes.activate.path,
    {
      config: { computerCertificate: false },
      schema: { body: ActivationRequest, response: { 200: ActivationResponse, ...problemResponses } },
    },
    async (request, reply) => {
      const { token, csr, hostname, agentVersion, platform } = request.body;
      // The CSR is checked before the token is spent, so a bad CSR neither stores a computer nor uses the token.
      const checked = await pki.checkAgentCsr(csr);
      if (!checked.ok)
        return sendProblem(reply, 'validation', checked.reason, [{ path: '/csr', message: checked.reason }]);
      const activated = await services.computers.activate({
        token,
        hostname,
        agentVersion,
        ...(platform === undefined ? {} : { platform }),
      });
      if (!activated.ok) return sendServiceError(reply, activated.error);
      const { computerId, heartbeatIntervalSeconds } = activated.value;
      const signed = await pki.signAgentCsr(csr, computerId);
      if (!signed.ok) {
        request.log.error({ computerId, reason: signed.reason }, 'activation: a checked CSR could not be signed');
        return sendProblem(reply, 'internal', 'the certificate could not be issued');
      }
      const recorded = await services.computers.recordCertificate(
        computerId,
        normaliseSerial(signed.value.serialNumber),
      );
      if (!recorded.ok) return sendServiceError(reply, recorded.error);
      request.log.info({ computerId, hostname }, 'computer activated');
      return {
        computerId,
        certificate: signed.value.certificatePem,
        caCertificate: pki.caCertPem,
        heartbeatIntervalSeconds,
      };
    },
  );

  app.post(
    AgentRoutes.heartbeat.path,
    { schema: { body: HeartbeatRequest, response: { 200: HeartbeatResponse, ...problemResponses } } },
    async (request, reply) => {
      const computerId = request.computerId!;
      wakeHub.served(computerId);
      const answer = await services.computers.heartbeat(computerId, request.body);
      if (answer.ok && request.body.updates !== undefined)
        await services.updatePackages.recordReports(computerId, request.body.updates);
      const nodes = request.body.acceptsManagerNodes === true ? (options.clusterNodes?.agentUrls() ?? []) : [];
      if (!answer.ok || nodes.length === 0) return sendResult(reply, answer);
      return sendResult(reply, { ...answer, value: { ...answer.value, managerNodes: [...nodes] } });
    },
  );

  app.get(
    AgentRoutes.updateChunk.path,
    {
      schema: {
        params: UpdateParams,
        querystring: UpdateChunkQuery,
        response: { 200: UpdateChunk, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        reply,
        await services.updatePackages.chunk(request.params.kind, request.params.version, request.query.offset ?? 0),
      ),
  );

  app.get(
    AgentRoutes.configuration.path,
    { schema: { params: VersionParams, response: { 200: SecurityConfiguration, ...problemResponses } } },
    async (request, reply) => {
      // Not only the version asked for: a version that is gone (changed again since the
      // heartbeat named it) is answered with the current one, so an agent never loops on a 404.
      const compiled = await services.configuration.current(request.computerId!);
      if (!compiled.ok) return sendServiceError(reply, compiled.error);
      if (compiled.value.version !== request.params.version)
        request.log.info(
          { computerId: request.computerId, asked: request.params.version, current: compiled.value.version },
          'configuration asked for is not the current one: sent the current one',
        );
      return compiled.value;
    },
  );

  app.post(
    AgentRoutes.events.path,
    {
      bodyLimit: EVENTS_BODY_LIMIT,
      schema: { body: EventBatch, response: { 200: EventBatchAck, ...problemResponses } },
      // Before the body is read: a computer over its quota costs no memory.
      onRequest: async (request, reply) => {
        const computerId = request.computerId;
        if (computerId === null) return;
        const wait = quota.retryAfterSeconds(computerId);
        const busy = (uploading.get(computerId) ?? 0) >= MAX_EVENT_UPLOADS_PER_COMPUTER;
        if (wait > 0 || busy) {
          options.metrics.uploadDeferred(busy ? 'concurrent' : 'quota');
          const seconds = Math.max(wait, 1);
          reply.header('retry-after', String(seconds));
          return sendProblem(
            reply,
            'rate-limited',
            busy
              ? `this computer already has ${MAX_EVENT_UPLOADS_PER_COMPUTER} event uploads in progress; keep the events and retry in ${seconds} s`
              : `this computer sent more events than its quota allows; keep them and retry in ${seconds} s`,
          );
        }
        uploading.set(computerId, (uploading.get(computerId) ?? 0) + 1);
        reply.raw.once('close', () => {
          const left = (uploading.get(computerId) ?? 1) - 1;
          if (left > 0) uploading.set(computerId, left);
          else uploading.delete(computerId);
          // Whatever the outcome, reading the body cost its bytes.
          quota.charge(computerId, 0, Number(request.headers['content-length'] ?? 0) || 0);
        });
      },
    },
    async (request, reply) => {
      const { events } = request.body;
      const computerId = request.computerId!;
      quota.charge(computerId, events.length, 0);
      const oversized = events.flatMap((event, i) => {
        const bytes = Buffer.byteLength(JSON.stringify(event));
        return bytes > MAX_EVENT_BYTES
          ? [{ path: `/events/${i}`, message: `the event is ${bytes} bytes; at most ${MAX_EVENT_BYTES} are accepted` }]
          : [];
      });
      if (oversized.length > 0) {
        return sendProblem(
          reply,
          'payload-too-large',
          `${oversized.length} event(s) larger than ${MAX_EVENT_BYTES} bytes; nothing of this batch was stored`,
          oversized.slice(0, 20),
        );
      }
      const result = await services.events.ingest(computerId, events);
      if (result.ok) options.metrics.eventsIngested(result.value.accepted, result.value.duplicates);
      return sendResult(reply, result);
    },
  );

  app.post(
    AgentRoutes.inventory.path,
    {
      bodyLimit: INVENTORY_BODY_LIMIT,
      schema: {
        body: InventoryReport,
        response: { 200: Type.Object({ digest: Type.String() }), ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(reply, await services.inventory.store(request.computerId!, request.body.inventory)),
  );

  app.get(
    AgentRoutes.wake.path,
    { schema: { querystring: WakeQuery, response: { 200: WakeResponse, ...problemResponses } } },
    async (request, reply) => {
      if (wakeHub.waiting(request.computerId!) >= MAX_WAKE_POLLS_PER_COMPUTER) {
        reply.header('retry-after', '5');
        return sendProblem(reply, 'rate-limited', 'this computer already holds the most wake polls allowed');
      }
      const controller = new AbortController();
      const abort = () => controller.abort();
      // The agent hanging up (or the connection dropping) ends the wait.
      request.raw.socket.once('close', abort);
      try {
        const timeoutSeconds = request.query.timeoutSeconds ?? 55;
        const wake = await wakeHub.wait(request.computerId!, timeoutSeconds * 1000, controller.signal);
        return { wake };
      } finally {
        request.raw.socket.off('close', abort);
      }
    },
  );

  app.post(
    AgentRoutes.commandOutcome.path,
    {
      bodyLimit: COMMAND_OUTCOME_BODY_LIMIT,
      schema: {
        params: CommandParams,
        body: CommandOutcome,
        response: { 200: CommandOutcomeAck, ...problemResponses },
      },
    },
    async (request, reply) =>
      sendResult(
        reply,
        await services.computerCommands.recordOutcome(request.computerId!, request.params.id, request.body),
      ),
  );

  app.post(
    AgentRoutes.snapshotOffer.path,
    { schema: { body: SnapshotOffer, response: { 200: SnapshotOfferAnswer, ...problemResponses } } },
    async (request, reply) =>
      sendResult(reply, await services.computerSnapshots.offer(request.computerId!, request.body.snapshots)),
  );

  app.post(
    AgentRoutes.snapshotPage.path,
    {
      bodyLimit: SNAPSHOT_PAGE_BODY_LIMIT,
      schema: { body: SnapshotPage, response: { 200: SnapshotPageAck, ...problemResponses } },
    },
    async (request, reply) =>
      sendResult(reply, await services.computerSnapshots.storePage(request.computerId!, request.body)),
  );

  app.post(
    AgentRoutes.renewCertificate.path,
    {
      schema: { body: CertificateRenewalRequest, response: { 200: CertificateRenewalResponse, ...problemResponses } },
    },
    async (request, reply) => {
      const computerId = request.computerId!;
      const checked = await pki.checkAgentCsr(request.body.csr);
      if (!checked.ok)
        return sendProblem(reply, 'validation', checked.reason, [{ path: '/csr', message: checked.reason }]);
      const signed = await pki.signAgentCsr(request.body.csr, computerId);
      if (!signed.ok)
        return sendProblem(reply, 'validation', signed.reason, [{ path: '/csr', message: signed.reason }]);
      const recorded = await services.certificateRenewal.recordPending(
        computerId,
        normaliseSerial(signed.value.serialNumber),
      );
      if (!recorded.ok) return sendServiceError(reply, recorded.error);
      request.log.info(
        { computerId, notAfter: signed.value.notAfter },
        'agent certificate renewed (pending first use)',
      );
      return { certificate: signed.value.certificatePem };
    },
  );

  app.post(
    AgentRoutes.deactivate.path,
    { schema: { response: { 200: Type.Object({ deactivated: Type.Boolean() }), ...problemResponses } } },
    async (request, reply) => {
      const computerId = request.computerId!;
      const result = await services.computers.deactivate(computerId, {
        kind: 'system',
        id: null,
        name: `agent of computer ${computerId}`,
      });
      return sendResult(reply, result, () => ({ deactivated: true }));
    },
  );
}
