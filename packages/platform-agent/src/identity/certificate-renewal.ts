import { X509Certificate } from 'node:crypto';
import { issuedBy } from '@bulwark/https-client';
import { AgentRoutes, CertificateRenewalResponse } from '@bulwark/protocol';
import type { ManagerChannel } from '../channel/manager-channel.js';
import type { AgentLogger } from '../log/json-logger.js';
import { type AgentIdentity, writeRenewedCredentials } from './identity-store.js';
import { createKeyMaterial } from './key-pair.js';

/** Renewal starts once this share of the certificate's lifetime has passed (a third is left). */
const RENEW_AFTER_SHARE = 2 / 3;

/** Whether the certificate should be renewed now; an unreadable one is due (the renewal will say why). */
export function renewalDue(certificatePem: string, now: number): boolean {
  try {
    const cert = new X509Certificate(certificatePem);
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    return now >= from + (to - from) * RENEW_AFTER_SHARE;
  } catch {
    return true;
  }
}

export type RenewalResult =
  | { readonly ok: true; readonly keyPem: string; readonly certificatePem: string; readonly notAfter: string }
  | { readonly ok: false; readonly message: string };

/**
 * A new key, a CSR over the mutual-TLS channel, and the answer checked (our key, our CA, our
 * computer) before the pair replaces the current one on disk. The manager keeps the current
 * certificate valid until the new one is first used, so a failure anywhere leaves the agent as it was.
 */
export async function renewCertificate(
  channel: Pick<ManagerChannel, 'call'>,
  identity: AgentIdentity,
  dataDir: string,
  signal?: AbortSignal,
): Promise<RenewalResult> {
  const keys = await createKeyMaterial(identity.computerId);
  const answer = await channel.call(
    'POST',
    AgentRoutes.renewCertificate.path,
    { csr: keys.csrPem },
    CertificateRenewalResponse,
    { retries: 1, ...(signal ? { signal } : {}) },
  );
  if (!answer.ok) return { ok: false, message: answer.message };
  const certificatePem = answer.value.certificate;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certificatePem);
  } catch (error) {
    return { ok: false, message: `the renewed certificate cannot be read: ${(error as Error).message}` };
  }
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  if (spki !== keys.publicKeySpki) return { ok: false, message: 'the renewed certificate is not for the new key' };
  if (!issuedBy(certificatePem, identity.caPem))
    return { ok: false, message: "the renewed certificate is not signed by the manager's CA" };
  if (cert.subject !== `CN=${identity.computerId}`)
    return { ok: false, message: `the renewed certificate names ${cert.subject}, not this computer` };
  writeRenewedCredentials(dataDir, keys.privateKeyPem, certificatePem);
  return { ok: true, keyPem: keys.privateKeyPem, certificatePem, notAfter: new Date(cert.validTo).toISOString() };
}

/**
 * What the daemon calls after each heartbeat: renews when due and switches the channel to the new
 * pair; returns the identity with it, or null when nothing changed (not due, or failed: the
 * current certificate stays and the next heartbeat tries again).
 */
export async function renewIfDue(
  channel: Pick<ManagerChannel, 'call' | 'replaceCredentials'>,
  identity: AgentIdentity,
  dataDir: string,
  log: AgentLogger,
  signal?: AbortSignal,
): Promise<AgentIdentity | null> {
  if (!renewalDue(identity.certificatePem, Date.now())) return null;
  try {
    const renewed = await renewCertificate(channel, identity, dataDir, signal);
    if (!renewed.ok) {
      log.warn('certificate renewal failed; the current one stays, retried at the next heartbeat', {
        reason: renewed.message,
      });
      return null;
    }
    channel.replaceCredentials(renewed.keyPem, renewed.certificatePem);
    log.info('client certificate renewed', { notAfter: renewed.notAfter });
    return { ...identity, keyPem: renewed.keyPem, certificatePem: renewed.certificatePem };
  } catch (error) {
    log.warn('certificate renewal failed; the current one stays', { reason: (error as Error).message });
    return null;
  }
}
