import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ProblemName, sendProblem } from './problem-types.js';
import { RefusalLog } from './refusal-log.js';
import type { Services } from './service-types.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Agent routes: false only for activation, the one call made before the agent has a certificate. */
    computerCertificate?: boolean;
  }
  interface FastifyRequest {
    /** The computer the client certificate names, once checked. */
    computerId: string | null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Serials compare as numbers: Node prints them upper-case and may keep or drop leading zeros. */
export function normaliseSerial(serial: string): string {
  return serial
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+/, '');
}

/**
 * Mutual TLS on the agent port. TLS itself asks for a client certificate but lets the handshake
 * finish without one (activation needs that); this hook then requires, on every other route, a
 * certificate chained to the manager CA whose CN is a computer that is active and whose current
 * certificate it is (a deactivated computer's serial is revoked; a re-activation replaces it).
 */
export function installAgentAuth(app: FastifyInstance, services: Services): void {
  app.decorateRequest('computerId', null);

  app.addHook('onRoute', (route) => {
    if (route.config?.computerCertificate === undefined) {
      route.config = { ...route.config, computerCertificate: true };
    }
  });

  const refusals = new RefusalLog(app.log);
  /** Refuses the request and logs why: a forged or stale certificate is worth an operator's look. */
  const refuse = (request: FastifyRequest, reply: FastifyReply, name: ProblemName, reason: string) => {
    const socket = request.raw.socket as TLSSocket;
    const peer = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : null;
    refusals.note(`agent request refused: ${reason}`, {
      address: request.ip,
      route: request.routeOptions.url,
      certificateSubject: peer?.subject?.CN,
      certificateIssuer: peer?.issuer?.CN,
      certificateFingerprint256: peer?.fingerprint256,
    });
    return sendProblem(reply, name, reason);
  };

  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return;
    if (request.routeOptions.config.computerCertificate === false) return;
    const socket = request.raw.socket as TLSSocket;
    if (typeof socket.getPeerCertificate !== 'function') {
      return refuse(request, reply, 'unauthenticated', 'the agent port needs TLS with a client certificate');
    }
    const peer = socket.getPeerCertificate();
    if (peer === null || Object.keys(peer).length === 0) {
      return refuse(request, reply, 'unauthenticated', 'a client certificate is required; activate the agent first');
    }
    if (!socket.authorized) {
      return refuse(
        request,
        reply,
        'unauthenticated',
        `the client certificate was not issued by this manager (${String(socket.authorizationError ?? 'untrusted')})`,
      );
    }
    const computerId = typeof peer.subject?.CN === 'string' ? peer.subject.CN : '';
    if (!UUID.test(computerId)) {
      return refuse(request, reply, 'forbidden', 'the client certificate does not name a computer');
    }
    const computer = await services.computers.get(computerId);
    if (!computer.ok) return refuse(request, reply, 'forbidden', 'the computer of this certificate is not known');
    if (computer.value.status === 'deactivated' || computer.value.deactivatedAt !== null) {
      return refuse(
        request,
        reply,
        'computer-deactivated',
        'this computer was deactivated on the manager; the agent stops and removes its kernel hooks (activate it again to protect this host)',
      );
    }
    const serial = normaliseSerial(peer.serialNumber ?? '');
    const current = normaliseSerial(computer.value.certificateSerial ?? '');
    // A renewed certificate's first call makes it current (and revokes the one it replaces).
    const renewed =
      serial !== '' && serial !== current && (await services.certificateRenewal.promoteIfPending(computerId, serial));
    if (serial === '' || (serial !== current && !renewed) || (await services.computers.isCertificateRevoked(serial))) {
      return refuse(request, reply, 'forbidden', 'this certificate was replaced or revoked; activate the agent again');
    }
    request.computerId = computerId;
  });
}
