import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type UpdateSigner, updateSignerStatement } from '@bulwark/protocol';
import { type CryptoKey, SIGNING_ALGORITHM, subtle } from './x509-setup.js';

const KEY_FILE = 'update-signing.key';

/**
 * The manager's update-signing key (docs/update-packages.md): Ed25519, kept in the PKI directory
 * beside the CA key (mode 0600), made the first time. Its public half travels with every package,
 * endorsed by the CA, so agents trust it through the CA they pinned at activation.
 */
export interface ManagerUpdateSigner {
  readonly signer: UpdateSigner;
  /** Ed25519 signature of `statement` (UTF-8), base64. */
  sign(statement: string): string;
}

export async function loadOrCreateUpdateSigner(dir: string, caKey: CryptoKey): Promise<ManagerUpdateSigner> {
  const path = join(dir, KEY_FILE);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    privateKey = generateKeyPairSync('ed25519').privateKey;
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flush: true });
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`${path} holds a ${privateKey.asymmetricKeyType} key; the update-signing key must be Ed25519`);
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
  const endorsement = Buffer.from(
    await subtle.sign(SIGNING_ALGORITHM, caKey, Buffer.from(updateSignerStatement(publicKey), 'utf8')),
  ).toString('base64');
  return {
    signer: { publicKey, endorsement },
    sign: (statement) => sign(null, Buffer.from(statement, 'utf8'), privateKey).toString('base64'),
  };
}
