import type {
  FlowDirection,
  InspectionResult,
  InspectionUnit,
  PortSelection,
  TrafficInspector,
} from '@bulwark/traffic/engine';
import { decideOnCertificate } from './certificate-decision.js';
import { addressBytes, normaliseHost } from './target-pattern.js';
import type { Verdict, WebReputation, WebTarget } from './web-reputation.js';
import type { WebrepConfiguration } from './webrep-configuration.js';

/** What the inspector reports for each connection it blocked (or, detect-only, would have). */
export interface WebrepFinding {
  /** Names the event and is printed on the block page, so a user's report leads to the event. */
  readonly blockId: string;
  readonly verdict: Verdict;
  /**
   * What the connection showed: HTTP request, TLS ClientHello (SNI), the server's certificate
   * (no SNI, TLS 1.2 and below: `host` is the certificate's name that decided), or only the address.
   */
  readonly seen: 'http' | 'tls' | 'certificate' | 'address';
  readonly host?: string;
  readonly url?: string;
  readonly address: string;
  readonly port: number;
  /** True when the block was not enforced (detect mode, or the network engine in tap). */
  readonly detectOnly: boolean;
}

export interface WebrepFlowState {
  /** Decided: nothing later in the flow says more about where it goes. */
  done: boolean;
  /** A ClientHello without SNI passed on its address: the server's certificate may name the host. */
  awaitingCertificate?: boolean;
}

const MAX_HOST_HEADER_CHARS = 255;
const decoder = new TextDecoder('latin1');

/** A block page small enough for one segment; it names the reason and the block id. */
export function blockPage(finding: WebrepFinding): { status: number; headers: Record<string, string>; body: string } {
  const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const target = finding.url ?? finding.host ?? finding.address;
  const body = `<!doctype html><title>Blocked by web reputation</title><h1>Blocked</h1><p>${escapeHtml(
    target.slice(0, 300),
  )}</p><p>Reason: ${escapeHtml(finding.verdict.reason.slice(0, 300))}</p><p>Event: ${finding.blockId}</p>\n`;
  return {
    status: 403,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' },
    body,
  };
}

/**
 * Web reputation on the traffic engine: looks at outbound HTTP requests (host and URL) and TLS
 * ClientHellos (SNI), and at the server address when no name is there, and asks the decision
 * (web-reputation.ts). Pure: the block id is made from the flow id and the unit's time.
 */
export function webrepInspector(
  configuration: Pick<WebrepConfiguration, 'httpPorts' | 'tlsPorts' | 'detectOnly' | 'blockPage'>,
  decision: Pick<WebReputation, 'decide'>,
): TrafficInspector<WebrepFinding, WebrepFlowState> {
  const ports: PortSelection[] = [];
  if (configuration.httpPorts.length > 0)
    ports.push({ protocol: 'tcp', ports: configuration.httpPorts, parser: 'http' });
  if (configuration.tlsPorts.length > 0) ports.push({ protocol: 'tcp', ports: configuration.tlsPorts, parser: 'tls' });
  const pass: InspectionResult<WebrepFinding> = { decision: { action: 'pass' }, findings: [] };

  /** The finding for a blocking verdict, and the block (none in detect mode). */
  const blocked = (
    unit: InspectionUnit,
    seen: WebrepFinding['seen'],
    target: { host?: string; url?: string },
    verdict: Verdict,
    state: WebrepFlowState,
  ): InspectionResult<WebrepFinding> => {
    state.done = true;
    const finding: WebrepFinding = {
      blockId: `wr-${Math.floor(unit.timeMs).toString(36)}-${unit.flowId.toString(36)}`,
      verdict,
      seen,
      ...(target.host === undefined ? {} : { host: target.host }),
      ...(target.url === undefined ? {} : { url: target.url }),
      address: unit.flow.serverAddress,
      port: unit.flow.serverPort,
      detectOnly: configuration.detectOnly,
    };
    if (configuration.detectOnly) return { decision: { action: 'pass' }, findings: [finding] };
    return {
      decision: {
        action: 'block',
        ...(unit.kind === 'http-request' && configuration.blockPage ? { respond: blockPage(finding) } : {}),
      },
      findings: [finding],
    };
  };

  return {
    id: 'webrep',
    ports,
    newFlowState: () => ({ done: false }),
    inspect(unit: InspectionUnit, state: WebrepFlowState): InspectionResult<WebrepFinding> {
      if (state.done) return pass;
      if (unit.direction !== 'to_server' && unit.kind !== 'tls-server-hello') return pass;
      const bytes = addressBytes(unit.flow.serverAddress);
      const target: { host?: string; url?: string; address?: WebTarget['address'] } = bytes ? { address: bytes } : {};
      let seen: WebrepFinding['seen'];
      if (unit.kind === 'http-request') {
        seen = 'http';
        const raw = unit.buffers['http.host'];
        const hostText = raw
          ? decoder
              .decode(raw)
              .slice(0, MAX_HOST_HEADER_CHARS)
              .replace(/^\[|\]$/g, '')
          : '';
        const host = hostText.length > 0 && addressBytes(hostText) === undefined ? normaliseHost(hostText) : undefined;
        if (host?.ok) {
          target.host = host.value;
          target.url = `${host.value}${unit.http.normalisedPath.startsWith('/') ? unit.http.normalisedPath : '/'}`;
        }
      } else if (unit.kind === 'tls-client-hello') {
        seen = unit.tls.sni === undefined ? 'address' : 'tls';
        state.done = true;
        const host = unit.tls.sni === undefined ? undefined : normaliseHost(unit.tls.sni);
        if (host?.ok) target.host = host.value;
        // No SNI: the address decides now; if it passes, the certificate's names may still block.
        else if (unit.tls.sni === undefined) {
          state.done = false;
          state.awaitingCertificate = true;
        }
      } else if (unit.kind === 'tls-server-hello' && state.awaitingCertificate) {
        // TLS 1.3 encrypts the certificate: the address (already passed) is all there is.
        state.done = true;
        const names = unit.tls.certificate;
        const decided = names === undefined ? undefined : decideOnCertificate(names, target.address, decision);
        if (decided === undefined || decided.verdict.action === 'pass') return pass;
        seen = 'certificate';
        target.host = decided.host;
        return blocked(unit, seen, target, decided.verdict, state);
      } else return pass;
      const verdict = decision.decide(target);
      if (verdict.action === 'pass') return pass;
      return blocked(unit, seen, target, verdict, state);
    },
    wantsMore(state: WebrepFlowState, _direction: FlowDirection): boolean {
      return !state.done;
    },
  };
}
