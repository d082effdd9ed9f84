import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningManager, startManager } from '@bulwark/platform-manager';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type Role = 'administrator' | 'operator' | 'auditor';

export interface TestManager {
  readonly manager: RunningManager;
  readonly dataDir: string;
  /** One API key per role, made through the services like the CLI does. */
  readonly keys: Readonly<Record<Role, string>>;
  readonly routes: { method: string; url: string; role: string | undefined }[];
  close(): Promise<void>;
}

/** A manager on 127.0.0.1 with free ports, SQLite (or PostgreSQL when `databaseUrl`) in a temp dir. */
export async function startTestManager(
  options: {
    databaseUrl?: string;
    now?: () => number;
    dataDir?: string;
    agentCertificateValidityMs?: number;
    clusterKey?: string;
    consoleDir?: string;
  } = {},
): Promise<TestManager> {
  // A given data dir is shared (e.g. two nodes with one PKI) and left for its owner to remove.
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'bulwark-manager-test-')));
  const routes: TestManager['routes'] = [];
  const manager = await startManager({
    dataDir,
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    consolePort: 0,
    agentPort: 0,
    listenAddress: '127.0.0.1',
    logger: false,
    ...(options.now === undefined ? {} : { now: options.now }),
    ...(options.clusterKey === undefined ? {} : { clusterKey: options.clusterKey }),
    ...(options.consoleDir === undefined ? {} : { consoleDir: options.consoleDir }),
    ...(options.agentCertificateValidityMs === undefined
      ? {}
      : { agentCertificateValidityMs: options.agentCertificateValidityMs }),
    onConsoleRoute: (route) => {
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        routes.push({ method, url: route.url, role: route.role });
      }
    },
  });
  const keys = {} as Record<Role, string>;
  for (const role of ['administrator', 'operator', 'auditor'] as const) {
    const created = await manager.services.apiKeys.create(
      { name: `test ${role}`, role },
      { kind: 'system', id: null, name: 'test' },
    );
    if (!created.ok) throw new Error(`cannot create a ${role} key: ${created.error.message}`);
    keys[role] = created.value.key;
  }
  return {
    manager,
    dataDir,
    keys,
    routes,
    async close() {
      await manager.stop();
      if (ownDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are inspected field by field
  readonly json: any;
}

export interface HttpCall {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Sent as JSON unless `rawBody` is given. */
  readonly body?: unknown;
  readonly rawBody?: string | Buffer;
  readonly ca: string;
  /** Client certificate (agent port). */
  readonly key?: string;
  readonly cert?: string;
  readonly timeoutMs?: number;
  /** Source address, e.g. another 127.0.0.x to act as a second client. */
  readonly localAddress?: string;
}

/** One HTTPS request on a fresh connection, trusting only the manager's CA. */
export function call(url: string, options: HttpCall): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    let payload: Buffer | undefined;
    if (options.rawBody !== undefined) payload = Buffer.from(options.rawBody);
    else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body));
      headers['content-type'] ??= 'application/json';
    }
    if (payload !== undefined) headers['content-length'] = payload.length;
    const request = https.request(url, {
      method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
      headers,
      ca: options.ca,
      ...(options.key === undefined ? {} : { key: options.key, cert: options.cert }),
      agent: false,
      timeout: options.timeoutMs ?? 20_000,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url}`)));
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
      });
    });
    request.end(payload);
  });
}

export async function makeKeyAndCsr(): Promise<{ keyPem: string; csrPem: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=fake-agent',
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), csrPem: csr.toString('pem') };
}

/** A CA that is not the manager's, and a client certificate from it claiming `computerId`. */
export async function foreignClientCertificate(computerId: string): Promise<{ keyPem: string; certPem: string }> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
  const caKeys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Impostor CA',
    keys: caKeys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${computerId}`,
    issuer: ca.subject,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), certPem: cert.toString('pem') };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

export interface FakeAgent {
  readonly computerId: string;
  /** TLS options for `call`: the agent's key, its certificate and the manager CA. */
  readonly tls: { readonly key: string; readonly cert: string; readonly ca: string };
}

/** Activates a new computer through the agent port with a fresh token, key and CSR. */
export async function activateFakeAgent(manager: RunningManager, hostname = 'fake-agent'): Promise<FakeAgent> {
  const token = await manager.services.activationTokens.create({}, { kind: 'system', id: null, name: 'test' });
  if (!token.ok) throw new Error(token.error.message);
  const { keyPem, csrPem } = await makeKeyAndCsr();
  const answer = await call(`${manager.agentUrl}/agent/v1/activate`, {
    body: { token: token.value.token, csr: csrPem, hostname, agentVersion: '0.1.0' },
    ca: manager.caCertPem,
  });
  if (answer.status !== 200) throw new Error(`activation failed: ${answer.status} ${answer.text}`);
  return {
    computerId: answer.json.computerId,
    tls: { key: keyPem, cert: answer.json.certificate, ca: manager.caCertPem },
  };
}
