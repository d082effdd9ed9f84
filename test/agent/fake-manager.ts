// A small stand-in for the manager's agent port, for the agent's own tests: mutual TLS with a
// test CA, the routes of agent-api.ts, and hooks to hold, fail or inspect what the agent sends.
import 'reflect-metadata';
import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  type AgentEvent,
  formatActivationToken,
  type HeartbeatRequest,
  type Inventory,
  type SecurityConfiguration,
  securityConfiguration,
} from '@bulwark/protocol';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

export interface TestPki {
  readonly caPem: string;
  readonly caFingerprint: string;
  readonly serverKeyPem: string;
  readonly serverCertPem: string;
  signCsr(csrPem: string, computerId: string): Promise<string>;
}

async function keyPair(): Promise<Keys> {
  return (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as Keys;
}

async function keyPem(keys: Keys): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

export async function createTestPki(name = 'Bulwark Test CA'): Promise<TestPki> {
  const caKeys = await keyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: [{ CN: [name] }],
    keys: caKeys,
    signingAlgorithm: ALG,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await keyPair();
  const server = await x509.X509CertificateGenerator.create({
    subject: [{ CN: ['localhost'] }],
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALG,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(ca, false),
    ],
  });
  const thumbprint = Buffer.from(await ca.getThumbprint('SHA-256')).toString('hex');
  return {
    caPem: ca.toString('pem'),
    caFingerprint: thumbprint,
    serverKeyPem: await keyPem(serverKeys),
    serverCertPem: server.toString('pem'),
    async signCsr(csrPem, computerId) {
      const csr = new x509.Pkcs10CertificateRequest(csrPem);
      if (!(await csr.verify())) throw new Error('CSR signature invalid');
      const cert = await x509.X509CertificateGenerator.create({
        subject: [{ CN: [computerId] }],
        issuer: ca.subject,
        publicKey: csr.publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ALG,
        notBefore: new Date(Date.now() - 60_000),
        notAfter: new Date(Date.now() + 86_400_000),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        ],
      });
      return cert.toString('pem');
    },
  };
}

export type EventsVerdict = 'ack' | 'fail' | 'hold' | 'reject';

export interface FakeManager {
  url: string;
  port: number;
  /** The credential part, as the manager checks it. */
  readonly token: string;
  /** The token as `bulwark tokens create` prints it: the credential and the CA fingerprint. */
  readonly tokenWithCa: string;
  /** Activation calls received (each carried a token). */
  activationCalls: number;
  /** Set to answer heartbeats 403 "computer deactivated", as the manager does once it deactivated this computer. */
  deactivatedByManager: boolean;
  /** Calls answered 403 computer-deactivated. */
  refusedAsDeactivated: number;
  computerId: string | null;
  /** Stored events, first copy wins, as the real manager dedupes on (computer, seq). */
  readonly events: Map<number, AgentEvent>;
  duplicates: number;
  eventBatches: number;
  readonly heartbeats: HeartbeatRequest[];
  readonly inventories: Inventory[];
  readonly configurationRequests: string[];
  heartbeatIntervalSeconds: number;
  configuration: SecurityConfiguration | null;
  /** Decides the fate of each event batch: store and answer, store and answer 503, store and never answer, or refuse it (400, nothing stored). */
  onEvents: (batch: AgentEvent[]) => EventsVerdict;
  /** Ends the pending wake long-polls with wake=true. */
  wake(): void;
  readonly wakeCalls: { count: number };
  /** Resolves once `predicate` holds, checking after every request. */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Same key, same port: a manager that restarts. */
  restart(): Promise<void>;
  pause(): Promise<void>;
  close(): Promise<void>;
}

export function makeConfiguration(
  computerId: string,
  modules: SecurityConfiguration['modules'],
  overrides: Partial<SecurityConfiguration['platform']> = {},
) {
  return securityConfiguration({
    computerId,
    platform: {
      heartbeatIntervalSeconds: 60,
      missedHeartbeatsBeforeOffline: 3,
      networkEngineMode: 'inline',
      failMode: 'open',
      failDeadlineMilliseconds: 200,
      eventSpoolMaxEvents: 100_000,
      minimumEventSeverity: 'info',
      ...overrides,
    },
    modules,
  });
}

export async function startFakeManager(pki: TestPki, options: { port?: number } = {}): Promise<FakeManager> {
  const waiters = new Set<() => void>();
  const wakeWaiters = new Set<(wake: boolean) => void>();
  const held: ServerResponse[] = [];
  const notify = () => {
    for (const w of waiters) w();
  };
  let server: Server;
  let pendingWake = false;

  const fake: FakeManager = {
    url: '',
    port: 0,
    token: '',
    tokenWithCa: '',
    activationCalls: 0,
    deactivatedByManager: false,
    refusedAsDeactivated: 0,
    computerId: null,
    events: new Map(),
    duplicates: 0,
    eventBatches: 0,
    heartbeats: [],
    inventories: [],
    configurationRequests: [],
    heartbeatIntervalSeconds: 60,
    configuration: null,
    onEvents: () => 'ack',
    wakeCalls: { count: 0 },
    wake() {
      // Like the real wake hub: a wake with no call waiting is kept for the next call.
      if (wakeWaiters.size === 0) pendingWake = true;
      for (const w of wakeWaiters) w(true);
      wakeWaiters.clear();
    },
    until(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        if (predicate()) return resolve();
        const check = () => {
          if (!predicate()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error('fake manager: condition not reached in time'));
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async restart() {
      await fake.pause();
      await listen(fake.port);
    },
    async pause() {
      for (const w of wakeWaiters) w(false);
      wakeWaiters.clear();
      for (const res of held.splice(0)) res.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    async close() {
      await fake.pause().catch(() => {});
    },
  };

  const token = `bwt_${randomUUID()}_${randomBytes(32).toString('base64url')}`;
  Object.assign(fake, { token, tokenWithCa: formatActivationToken(token, pki.caFingerprint) });

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse, body: unknown) {
    const url = new URL(req.url ?? '/', 'https://x');
    const socket = req.socket as TLSSocket;
    if (req.method === 'POST' && url.pathname === '/agent/v1/activate') {
      fake.activationCalls++;
      const { token, csr } = body as { token: string; csr: string };
      if (token !== fake.token)
        return send(res, 403, {
          type: 'urn:bulwark:problem:forbidden',
          title: 'Forbidden',
          status: 403,
          detail: 'unknown token',
        });
      fake.computerId = randomUUID();
      fake.configuration = makeConfiguration(fake.computerId, {});
      return send(res, 200, {
        computerId: fake.computerId,
        certificate: await pki.signCsr(csr, fake.computerId),
        caCertificate: pki.caPem,
        heartbeatIntervalSeconds: fake.heartbeatIntervalSeconds,
      });
    }
    const cn = socket.authorized ? String(socket.getPeerCertificate().subject?.CN ?? '') : '';
    if (!cn || cn !== fake.computerId)
      return send(res, 401, { type: 'urn:bulwark:problem:unauthenticated', title: 'Unauthenticated', status: 401 });
    if (fake.deactivatedByManager) {
      fake.refusedAsDeactivated++;
      return send(res, 403, {
        type: 'urn:bulwark:problem:computer-deactivated',
        title: 'This computer was deactivated',
        status: 403,
      });
    }
    if (req.method === 'POST' && url.pathname === '/agent/v1/heartbeat') {
      fake.heartbeats.push(body as HeartbeatRequest);
      const digest = (body as HeartbeatRequest).inventoryDigest;
      return send(res, 200, {
        configurationVersion: fake.configuration?.version ?? '0'.repeat(64),
        heartbeatIntervalSeconds: fake.heartbeatIntervalSeconds,
        sendInventory: digest !== undefined && fake.inventories.length === 0,
      });
    }
    if (req.method === 'GET' && url.pathname.startsWith('/agent/v1/configuration/')) {
      const version = decodeURIComponent(url.pathname.split('/').pop() ?? '');
      fake.configurationRequests.push(version);
      if (!fake.configuration || fake.configuration.version !== version)
        return send(res, 404, { title: 'Not Found', status: 404 });
      return send(res, 200, fake.configuration);
    }
    if (req.method === 'POST' && url.pathname === '/agent/v1/events') {
      const batch = (body as { events: AgentEvent[] }).events;
      const verdict = fake.onEvents(batch);
      if (verdict === 'reject') {
        return send(res, 400, { type: 'urn:bulwark:problem:validation', title: 'Bad Request', status: 400 });
      }
      let accepted = 0;
      let duplicates = 0;
      for (const event of batch) {
        if (fake.events.has(event.seq)) duplicates++;
        else {
          fake.events.set(event.seq, event);
          accepted++;
        }
      }
      fake.duplicates += duplicates;
      fake.eventBatches++;
      if (verdict === 'hold') {
        held.push(res);
        return;
      }
      if (verdict === 'fail') return send(res, 503, { title: 'Unavailable', status: 503 });
      return send(res, 200, { accepted, duplicates });
    }
    if (req.method === 'POST' && url.pathname === '/agent/v1/inventory') {
      fake.inventories.push((body as { inventory: Inventory }).inventory);
      return send(res, 200, { digest: 'x' });
    }
    if (req.method === 'GET' && url.pathname === '/agent/v1/wake') {
      fake.wakeCalls.count++;
      if (pendingWake) {
        pendingWake = false;
        return send(res, 200, { wake: true });
      }
      const timeout = Number(url.searchParams.get('timeoutSeconds') ?? 55) * 1000;
      const wake = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => done(false), timeout);
        const done = (value: boolean) => {
          clearTimeout(timer);
          wakeWaiters.delete(done);
          resolve(value);
        };
        wakeWaiters.add(done);
        res.once('close', () => done(false));
      });
      if (!res.destroyed) send(res, 200, { wake });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/agent/v1/deactivate') {
      fake.computerId = null;
      return send(res, 200, { deactivated: true });
    }
    send(res, 404, { title: 'Not Found', status: 404 });
  }

  function listen(port: number): Promise<void> {
    server = createServer(
      {
        key: pki.serverKeyPem,
        cert: pki.serverCertPem,
        ca: pki.caPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch {
            return send(res, 400, { title: 'Bad Request', status: 400 });
          }
          handle(req, res, body)
            .catch((error: Error) => send(res, 500, { title: 'Internal', status: 500, detail: error.message }))
            .finally(notify);
        });
      },
    );
    return new Promise((resolve) => {
      server.listen(port, '127.0.0.1', () => {
        const address = server.address() as AddressInfo;
        fake.port = address.port;
        fake.url = `https://127.0.0.1:${address.port}`;
        resolve();
      });
    });
  }

  await listen(options.port ?? 0);
  return fake;
}
