import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  X509Certificate as NodeX509Certificate,
  randomBytes,
  scrypt,
} from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../storage/schema.js';

/** A CA certificate and its private key, both PEM. */
export interface CaMaterial {
  readonly certPem: string;
  readonly keyPem: string;
}

export type ClusterCaOutcome = 'founded' | 'joined' | 'matched';

export type ClusterCaResult =
  | { readonly ok: true; readonly ca: CaMaterial; readonly outcome: ClusterCaOutcome }
  | { readonly ok: false; readonly reason: string };

/** The shortest cluster key accepted: 32 characters, e.g. `openssl rand -base64 32`. */
export const MIN_CLUSTER_KEY_CHARS = 32;

// scrypt's cost for turning the cluster key into the sealing key: ~32 MiB and a few tens of ms,
// paid once per start; the key file itself should already be random.
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

interface SealedKey {
  readonly v: 1;
  readonly salt: string;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

function deriveKey(clusterKey: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(clusterKey, salt, 32, SCRYPT, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

/** Seals a CA key with the cluster key (AES-256-GCM under a scrypt-derived key). */
export async function sealCaKey(keyPem: string, clusterKey: string): Promise<string> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await deriveKey(clusterKey, salt), iv);
  const data = Buffer.concat([cipher.update(keyPem, 'utf8'), cipher.final()]);
  const sealed: SealedKey = {
    v: 1,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return JSON.stringify(sealed);
}

/** Opens a sealed CA key; a wrong cluster key or a changed box is a reason, not an exception. */
export async function openCaKey(
  box: string,
  clusterKey: string,
): Promise<{ readonly ok: true; readonly keyPem: string } | { readonly ok: false; readonly reason: string }> {
  let sealed: SealedKey;
  try {
    sealed = JSON.parse(box) as SealedKey;
    if (sealed.v !== 1) return { ok: false, reason: `the sealed CA key has version ${String(sealed.v)}, not 1` };
  } catch {
    return { ok: false, reason: 'the sealed CA key in the database is not readable' };
  }
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      await deriveKey(clusterKey, Buffer.from(sealed.salt, 'base64')),
      Buffer.from(sealed.iv, 'base64'),
    );
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const keyPem = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
    return { ok: true, keyPem };
  } catch {
    return {
      ok: false,
      reason: "the cluster key does not open the cluster's CA key (another key was used to seal it)",
    };
  }
}

function fingerprintOf(certPem: string): string {
  return new NodeX509Certificate(certPem).fingerprint256;
}

/** True when the private key belongs to the certificate. */
export function keyMatchesCertificate(ca: CaMaterial): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(ca.keyPem)).export({ type: 'spki', format: 'der' });
    const fromCert = new NodeX509Certificate(ca.certPem).publicKey.export({ type: 'spki', format: 'der' });
    return Buffer.compare(fromKey, fromCert) === 0;
  } catch {
    return false;
  }
}

export interface ClusterCaOptions {
  /** The secret every node of the cluster is given (`--cluster-key-file`); absent = this node has none. */
  readonly clusterKey?: string;
  /** Makes a new CA when neither the database nor this node has one. */
  readonly createCa: () => Promise<CaMaterial>;
  readonly now: () => number;
}

const JOIN_HINT =
  'start it with the cluster key (--cluster-key-file, or BULWARK_CLUSTER_KEY_FILE) that the other nodes use';

/**
 * Makes this node's CA the cluster's: the first node to start on an empty database publishes its
 * CA (the key sealed when it has the cluster key); every later node must hold the same CA, or
 * take it from the database with the cluster key. A node with a CA of its own that differs is
 * refused: it would sign agent certificates the other nodes reject.
 */
export async function reconcileClusterCa(
  db: Kysely<Database>,
  local: CaMaterial | null,
  options: ClusterCaOptions,
): Promise<ClusterCaResult> {
  const { clusterKey } = options;
  if (clusterKey !== undefined && clusterKey.trim().length < MIN_CLUSTER_KEY_CHARS)
    return { ok: false, reason: `the cluster key must have at least ${MIN_CLUSTER_KEY_CHARS} characters` };
  let founded = false;
  let row = await db.selectFrom('cluster_ca').selectAll().where('id', '=', 1).executeTakeFirst();
  if (row === undefined) {
    const ca = local ?? (await options.createCa());
    await db
      .insertInto('cluster_ca')
      .values({
        id: 1,
        fingerprint: fingerprintOf(ca.certPem),
        cert_pem: ca.certPem,
        key_box: clusterKey === undefined ? null : await sealCaKey(ca.keyPem, clusterKey),
        created_at: options.now(),
      })
      .onConflict((c) => c.column('id').doNothing())
      .execute();
    // Another node may have won the insert: whatever is stored now is the cluster's CA.
    row = await db.selectFrom('cluster_ca').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
    founded = row.fingerprint === fingerprintOf(ca.certPem);
    if (founded && local === null) return { ok: true, ca, outcome: 'founded' };
  }

  if (local !== null) {
    const mine = fingerprintOf(local.certPem);
    if (mine !== row.fingerprint)
      return {
        ok: false,
        reason:
          `this node's CA (${mine}) is not the cluster's (${row.fingerprint}): agents it activated would be ` +
          `refused by the other nodes. Move this node's pki/ca.key and pki/ca.crt aside and ${JOIN_HINT}, ` +
          'or copy both files from a node of the cluster',
      };
    if (clusterKey !== undefined) {
      if (row.key_box === null) {
        // The cluster was founded without a key; this node holds the CA and brings one: seal it now.
        const box = await sealCaKey(local.keyPem, clusterKey);
        await db
          .updateTable('cluster_ca')
          .set({ key_box: box })
          .where('id', '=', 1)
          .where('key_box', 'is', null)
          .execute();
      } else {
        const opened = await openCaKey(row.key_box, clusterKey);
        if (!opened.ok) return { ok: false, reason: `${opened.reason}; give every node the same cluster key` };
      }
    }
    return { ok: true, ca: local, outcome: founded ? 'founded' : 'matched' };
  }

  if (row.key_box === null)
    return {
      ok: false,
      reason:
        `this database belongs to a cluster whose CA is ${row.fingerprint}, but its key is not in the database ` +
        '(the first node had no cluster key): copy pki/ca.key and pki/ca.crt from a node of the cluster into this ' +
        "node's data directory, or start a node that has them once with --cluster-key-file",
    };
  if (clusterKey === undefined)
    return {
      ok: false,
      reason: `this database belongs to a cluster whose CA is ${row.fingerprint}; to join it, ${JOIN_HINT}`,
    };
  const opened = await openCaKey(row.key_box, clusterKey);
  if (!opened.ok) return { ok: false, reason: `${opened.reason}; give every node the same cluster key` };
  const ca = { certPem: row.cert_pem, keyPem: opened.keyPem };
  if (!keyMatchesCertificate(ca))
    return { ok: false, reason: "the cluster's CA key does not belong to its certificate; the row was changed" };
  return { ok: true, ca, outcome: 'joined' };
}
