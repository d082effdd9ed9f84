import type { CertificateNames } from '@bulwark/traffic/engine';
import { normaliseHost } from './target-pattern.js';
import type { Verdict, WebReputation, WebTarget } from './web-reputation.js';

/**
 * Stands for the `*` of a wildcard certificate name: `*.cdn.example` is decided as a name under
 * cdn.example, which `*.cdn.example` and `.cdn.example` entries match and `cdn.example` does not.
 */
export const WILDCARD_LABEL = 'wildcard-certificate-name';
/** Names of one certificate decided on; a certificate for more hosts is decided on its first ones. */
export const MAX_CERTIFICATE_NAMES_DECIDED = 64;

/**
 * The decision for a TLS connection without SNI, on the names of the server's certificate (the
 * subject CN, then the subjectAltName DNS names): the server says it is those hosts.
 * - a name on the allow list passes the connection (the administrator allowed that server);
 * - otherwise a name the block list or the reputation data blocks blocks it;
 * - "unrated" blocks only when no name is rated: one rated name is enough to judge the server.
 * Undefined when the certificate names no host (nothing more to go on than the address).
 */
export function decideOnCertificate(
  names: CertificateNames,
  address: WebTarget['address'],
  decision: Pick<WebReputation, 'decide'>,
): { readonly verdict: Verdict; readonly host: string } | undefined {
  // Normalised name → the name as the certificate gives it (what the event shows).
  const hosts = new Map<string, string>();
  for (const name of [...(names.subjectCommonName === undefined ? [] : [names.subjectCommonName]), ...names.dnsNames]) {
    if (hosts.size >= MAX_CERTIFICATE_NAMES_DECIDED) break;
    const host = normaliseHost(name.startsWith('*.') ? `${WILDCARD_LABEL}${name.slice(1)}` : name);
    if (host.ok && !hosts.has(host.value)) hosts.set(host.value, name.toLowerCase());
  }
  const decided = [...hosts].map(([host, shown]) => ({
    host: shown,
    verdict: decision.decide({ host, ...(address === undefined ? {} : { address }) }),
  }));
  if (decided.length === 0) return undefined;
  return (
    decided.find((d) => d.verdict.source === 'allow-list') ??
    decided.find((d) => d.verdict.action === 'block' && d.verdict.source !== 'unrated') ??
    // Left: passes and unrated names; the connection is blocked as unrated only if every name is.
    decided.find((d) => d.verdict.action === 'pass') ??
    decided[0]
  );
}
