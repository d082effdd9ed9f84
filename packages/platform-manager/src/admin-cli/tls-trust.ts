import type https from 'node:https';
import { normalizeFingerprint, PinMismatchError, PinnedAgent, readCaFile, tlsAgent } from '@bulwark/https-client';
import { type CliResult, ExitCode, fail, ok, usageError } from './cli-error.js';

/** How the CLI decides to trust the manager's TLS certificate. Verification is never switched off. */
export type TrustSource =
  | { readonly kind: 'system' }
  | { readonly kind: 'ca-file'; readonly path: string }
  | { readonly kind: 'fingerprint'; readonly sha256: string };

export const HOW_TO_TRUST =
  "Trust the manager's CA with --ca <dataDir>/pki/ca.crt (copy it from the manager host) or pin it with\n" +
  '--ca-fingerprint <SHA-256>, the CA fingerprint the manager prints when it starts\n' +
  '(or: openssl x509 -in <dataDir>/pki/ca.crt -noout -fingerprint -sha256). BULWARK_CA may hold either.';

/**
 * `BULWARK_CA` holds a file path or a fingerprint; a value that looks like a fingerprint is one,
 * anything else is a path.
 */
export function trustFromOptions(caFile: string | undefined, fingerprint: string | undefined): CliResult<TrustSource> {
  if (caFile !== undefined && fingerprint !== undefined) {
    return usageError('--ca and --ca-fingerprint are mutually exclusive: give one');
  }
  if (fingerprint !== undefined) {
    const sha256 = normalizeFingerprint(fingerprint);
    if (sha256 === null)
      return usageError('--ca-fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed');
    return ok({ kind: 'fingerprint', sha256 });
  }
  if (caFile !== undefined) {
    const sha256 = normalizeFingerprint(caFile);
    return ok(sha256 !== null ? { kind: 'fingerprint', sha256 } : { kind: 'ca-file', path: caFile });
  }
  return ok({ kind: 'system' });
}

/** An https.Agent that trusts exactly what `trust` says. */
export async function agentFor(trust: TrustSource): Promise<CliResult<https.Agent>> {
  if (trust.kind === 'system') return ok(tlsAgent({}));
  if (trust.kind === 'fingerprint') return ok(new PinnedAgent(trust.sha256, { keepAlive: true, maxSockets: 4 }));
  const file = await readCaFile(trust.path);
  if (!file.ok) return usageError(file.message, HOW_TO_TRUST);
  return ok(tlsAgent({ caPem: file.pem }));
}

/** Failures of the TLS layer explained in terms of what to do. */
export function tlsFailureToCliError(error: Error & { code?: string }, trust: TrustSource) {
  const untrusted = new Set([
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_GET_ISSUER_CERT',
    'CERT_SIGNATURE_FAILURE',
  ]);
  if (error instanceof PinMismatchError) return fail(ExitCode.failure, error.message, HOW_TO_TRUST);
  if (error.code !== undefined && untrusted.has(error.code)) {
    const which = trust.kind === 'ca-file' ? `the CA in ${trust.path}` : 'the system CAs';
    return fail(ExitCode.failure, `the manager's certificate is not signed by ${which} (${error.code})`, HOW_TO_TRUST);
  }
  if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return fail(
      ExitCode.failure,
      `the manager's certificate does not cover this host name: ${error.message}`,
      'Use a --manager URL with a name the certificate covers (localhost, 127.0.0.1, the manager host name), or start the manager with --server-name.',
    );
  }
  if (error.code === 'CERT_HAS_EXPIRED' || error.code === 'CERT_NOT_YET_VALID') {
    return fail(ExitCode.failure, `the manager's certificate is not valid now (${error.code})`);
  }
  return null;
}
