import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import tls from 'node:tls';

/** How the agent comes to trust the manager's CA at activation: the fingerprint in the token, or a flag. */
export type TrustChoice =
  | { readonly kind: 'token'; readonly sha256: string }
  | { readonly kind: 'ca-file'; readonly caPem: string }
  | { readonly kind: 'fingerprint'; readonly sha256: string };

export function normaliseFingerprint(text: string): string | null {
  const hex = text
    .replace(/^sha256[:=]/i, '')
    .replace(/[\s:]/g, '')
    .toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex : null;
}

export function certificateFingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '');
}

export function derToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Opens a TLS connection without sending anything, reads the chain the manager presents and
 * returns the certificate whose SHA-256 fingerprint is the pinned one. The real request is then
 * made with that certificate as the only CA, verified by Node's own chain and name checks.
 */
export function fetchPinnedCa(
  url: URL,
  sha256: string,
  timeoutMs = 15_000,
): Promise<{ ok: true; caPem: string } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      servername: isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0 ? undefined : url.hostname,
      // Nothing is sent on this connection: it only reads the presented chain.
      rejectUnauthorized: false,
    } as tls.ConnectionOptions);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, message: `no TLS handshake with ${url.host} within ${timeoutMs} ms` });
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `cannot reach ${url.host}: ${error.message}` });
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const seen: string[] = [];
      let cert = socket.getPeerCertificate(true);
      for (let depth = 0; cert?.raw && depth < 10; depth++) {
        const fingerprint = cert.fingerprint256.replace(/:/g, '').toUpperCase();
        seen.push(fingerprint);
        if (fingerprint === sha256) {
          socket.destroy();
          resolve({ ok: true, caPem: derToPem(cert.raw) });
          return;
        }
        if (!cert.issuerCertificate || cert.issuerCertificate === cert) break;
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      resolve({
        ok: false,
        message: `no certificate presented by ${url.host} has the SHA-256 fingerprint ${sha256} (presented: ${seen.join(', ') || 'none'}); check the fingerprint or use --ca FILE`,
      });
    });
  });
}

/** True when `leafPem` was signed by `caPem`. */
export function issuedBy(leafPem: string, caPem: string): boolean {
  try {
    const leaf = new X509Certificate(leafPem);
    const ca = new X509Certificate(caPem);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}
