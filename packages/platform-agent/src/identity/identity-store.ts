import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDirectory, writeFileAtomic } from '@bulwark/host-files';
import { describeIssues, parseWith } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';

export const DEFAULT_DATA_DIR = '/var/lib/bulwark/agent';

export function resolveDataDir(explicit?: string): string {
  return explicit ?? process.env.BULWARK_AGENT_DATA_DIR ?? DEFAULT_DATA_DIR;
}

const IdentityFile = Type.Object({
  computerId: Type.String({ minLength: 1 }),
  managerUrl: Type.String({ minLength: 1 }),
  /** Other nodes of the manager's cluster, tried in order when `managerUrl` cannot be reached. */
  alternateManagerUrls: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 16 })),
  /**
   * The manager nodes the cluster last named in a heartbeat answer (the nodes alive then): the
   * agent fails over across these and the ones above. Replaced whole by each new list.
   */
  clusterManagerUrls: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 16 })),
  activatedAt: Type.String(),
  heartbeatIntervalSeconds: Type.Integer({ minimum: 1 }),
});
type IdentityFile = Static<typeof IdentityFile>;

export interface AgentIdentity extends IdentityFile {
  readonly keyPem: string;
  readonly certificatePem: string;
  readonly caPem: string;
}

export const identityPaths = (dataDir: string) => ({
  identity: join(dataDir, 'identity.json'),
  key: join(dataDir, 'agent-key.pem'),
  certificate: join(dataDir, 'agent-cert.pem'),
  ca: join(dataDir, 'manager-ca.pem'),
  /** A renewed key and certificate on their way in (writeRenewedCredentials). */
  nextKey: join(dataDir, 'agent-key.next.pem'),
  nextCertificate: join(dataDir, 'agent-cert.next.pem'),
});

export type IdentityRead =
  | { readonly kind: 'activated'; readonly identity: AgentIdentity }
  | { readonly kind: 'not-activated' }
  | { readonly kind: 'damaged'; readonly reason: string };

export function readIdentity(dataDir: string): IdentityRead {
  const paths = identityPaths(dataDir);
  if (!existsSync(paths.identity)) return { kind: 'not-activated' };
  try {
    finishRenewal(paths);
    const parsed = parseWith(IdentityFile, JSON.parse(readFileSync(paths.identity, 'utf8')));
    if (!parsed.ok) return { kind: 'damaged', reason: `${paths.identity}: ${describeIssues(parsed.issues)}` };
    return {
      kind: 'activated',
      identity: {
        ...parsed.value,
        keyPem: readFileSync(paths.key, 'utf8'),
        certificatePem: readFileSync(paths.certificate, 'utf8'),
        caPem: readFileSync(paths.ca, 'utf8'),
      },
    };
  } catch (error) {
    return { kind: 'damaged', reason: (error as Error).message };
  }
}

/** identity.json is written last: it is what makes the data dir "activated", so a crash before it leaves none. */
export function writeIdentity(dataDir: string, identity: AgentIdentity): void {
  const paths = identityPaths(dataDir);
  writeFileAtomic(paths.key, identity.keyPem, 0o600);
  writeFileAtomic(paths.certificate, identity.certificatePem, 0o644);
  writeFileAtomic(paths.ca, identity.caPem, 0o644);
  const file: IdentityFile = {
    computerId: identity.computerId,
    managerUrl: identity.managerUrl,
    ...(identity.alternateManagerUrls?.length ? { alternateManagerUrls: identity.alternateManagerUrls } : {}),
    ...(identity.clusterManagerUrls?.length ? { clusterManagerUrls: identity.clusterManagerUrls } : {}),
    activatedAt: identity.activatedAt,
    heartbeatIntervalSeconds: identity.heartbeatIntervalSeconds,
  };
  writeFileAtomic(paths.identity, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

/**
 * Keeps the list of manager nodes a heartbeat answer named, so a restarted agent can fail over to
 * a node added after its activation. Only identity.json changes (atomically); a missing or
 * damaged identity is left alone (the daemon notices deactivation on its own).
 */
export function writeClusterManagerUrls(dataDir: string, urls: readonly string[]): void {
  const paths = identityPaths(dataDir);
  if (!existsSync(paths.identity)) return;
  const parsed = parseWith(IdentityFile, JSON.parse(readFileSync(paths.identity, 'utf8')));
  if (!parsed.ok) return;
  const { clusterManagerUrls: _previous, ...rest } = parsed.value;
  const file: IdentityFile = { ...rest, ...(urls.length > 0 ? { clusterManagerUrls: [...urls] } : {}) };
  writeFileAtomic(paths.identity, `${JSON.stringify(file, null, 2)}\n`, 0o600);
}

/**
 * Swaps in a renewed key and certificate so that a crash at any point leaves a matching pair:
 * both are written beside the current ones first; renaming the key over the current key is the
 * commit, after which the certificate follows (finishRenewal completes it after a crash).
 */
export function writeRenewedCredentials(dataDir: string, keyPem: string, certificatePem: string): void {
  const paths = identityPaths(dataDir);
  writeFileAtomic(paths.nextCertificate, certificatePem, 0o644);
  writeFileAtomic(paths.nextKey, keyPem, 0o600);
  renameSync(paths.nextKey, paths.key);
  renameSync(paths.nextCertificate, paths.certificate);
  fsyncDirectory(dataDir);
}

/** After a crash during writeRenewedCredentials: before the commit, drop the new pair; after it, finish. */
function finishRenewal(paths: ReturnType<typeof identityPaths>): void {
  if (!existsSync(paths.nextCertificate)) {
    rmSync(paths.nextKey, { force: true });
    return;
  }
  if (existsSync(paths.nextKey)) {
    // Not committed: the manager never saw the new certificate used, the current pair stays valid.
    rmSync(paths.nextKey, { force: true });
    rmSync(paths.nextCertificate, { force: true });
    return;
  }
  renameSync(paths.nextCertificate, paths.certificate);
}

/** identity.json goes first, for the same reason it is written last. */
export function removeIdentity(dataDir: string): void {
  const paths = identityPaths(dataDir);
  rmSync(paths.identity, { force: true });
  rmSync(paths.key, { force: true });
  rmSync(paths.certificate, { force: true });
  rmSync(paths.ca, { force: true });
  rmSync(paths.nextKey, { force: true });
  rmSync(paths.nextCertificate, { force: true });
}
