/**
 * The contract between the traffic engine and the modules that inspect traffic (intrusion
 * prevention, web reputation). The engine turns packets into flows and flows into inspection
 * units (a packet's payload, an HTTP request or response, a TLS ClientHello, a DNS query); an
 * inspector looks at units and answers with a decision. The engine owns the kernel side (queue
 * steering, verdicts, resets, handing flows back); an inspector never sees a packet queue.
 *
 * Inspectors are pure: everything they need (time, flow state they keep) comes in through the
 * arguments, so they can be tested without a kernel.
 */
import type { TlsServerHelloFacts } from './tls-server-hello.js';

export type TransportProtocol = 'tcp' | 'udp';

/** Which way the data flows, in Suricata's words: to_server = from the side that opened the flow. */
export type FlowDirection = 'to_server' | 'to_client';

export interface FlowEndpoints {
  readonly protocol: TransportProtocol;
  /** The side that opened the flow (sent the first SYN, or the first UDP datagram seen). */
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly serverAddress: string;
  readonly serverPort: number;
}

/**
 * Named buffers an inspection unit may carry. The names are Suricata's sticky buffers, so rules
 * loaded from .rules files map onto them without translation. Absent = this unit has no such part.
 *
 * - `packet`: this packet's transport payload (UDP datagram, or one TCP segment as received).
 * - `stream`: reassembled bytes of one direction, the new bytes of this unit only.
 * - `http.uri`: normalised request target (see `normaliseUri`); `http.uri.raw`: as sent.
 * - `http.header`: header lines after unfolding, `Name: value\r\n` each, without Cookie;
 *   `http.header.raw`: the header block as sent.
 * - `http.request_body` / `http.response_body`: de-chunked, up to the inspection depth.
 */
export type InspectionBufferName =
  | 'packet'
  | 'stream'
  | 'http.method'
  | 'http.uri'
  | 'http.uri.raw'
  | 'http.protocol'
  | 'http.request_line'
  | 'http.host'
  | 'http.host.raw'
  | 'http.user_agent'
  | 'http.header'
  | 'http.header.raw'
  | 'http.header_names'
  | 'http.cookie'
  | 'http.content_type'
  | 'http.content_len'
  | 'http.request_body'
  | 'http.stat_code'
  | 'http.stat_msg'
  | 'http.response_line'
  | 'http.response_body'
  | 'tls.sni'
  | 'dns.query';

export type InspectionBuffers = Partial<Record<InspectionBufferName, Uint8Array>>;

/** What an HTTP request looked like after parsing; the facts rules about protocol shape need. */
export interface HttpRequestFacts {
  readonly method: string;
  readonly rawTarget: string;
  readonly normalisedPath: string;
  /** Query parameters in order, names and values percent-decoded. */
  readonly parameters: readonly (readonly [string, string])[];
  readonly version: string;
  /** Header names lower-cased, values unfolded, in order; repeated headers repeated. */
  readonly headers: readonly (readonly [string, string])[];
  readonly contentLength?: number;
  readonly chunked: boolean;
  /** The request body was longer than the inspection depth; only the first part is in the buffer. */
  readonly bodyTruncated: boolean;
  /**
   * Protocol violations the parser saw, as stable codes (e.g. `bad-method`, `invalid-chunk-size`,
   * `content-length-and-transfer-encoding`, `header-too-long`, `obsolete-line-folding`,
   * `uri-double-encoding`, `uri-overlong-utf8`, `uri-nul`, `uri-backslash`, `uri-u-encoding`).
   */
  readonly anomalies: readonly string[];
  /**
   * Added after the first version (optional, so older code still compiles). A message with a body
   * is seen twice: `headers` when its header block is complete (no body buffer), `complete` when
   * the body is (body buffer up to the inspection depth, every header buffer again). A message
   * without a body is seen once, `complete`. A rule that reads no body buffer can ignore
   * `complete` units of messages it saw at `headers` (`contentLength`/`chunked` say a body came).
   */
  readonly stage?: 'headers' | 'complete';
}

export interface HttpResponseFacts {
  readonly version: string;
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly bodyTruncated: boolean;
  readonly anomalies: readonly string[];
  /** As in HttpRequestFacts (added, optional). */
  readonly stage?: 'headers' | 'complete';
}

export interface TlsClientHelloFacts {
  readonly sni?: string;
  /** Legacy version of the record/hello as `3.3`, and the highest supported_versions entry. */
  readonly version: string;
  /** Added (optional): the legacy_version field of the ClientHello as `3.3`. */
  readonly legacyVersion?: string;
}

export type { CertificateNames } from './certificate-names.js';
/**
 * Added: the server's answer to the ClientHello (`tls-server-hello` unit, to_client): the version
 * it chose and, up to TLS 1.2 where it travels in clear, the names of its certificate.
 */
export type { TlsServerHelloFacts } from './tls-server-hello.js';

export interface DnsQueryFacts {
  readonly name: string;
  readonly type: number;
}

interface UnitBase {
  /** Stable for the life of the flow within one engine instance. */
  readonly flowId: number;
  readonly flow: FlowEndpoints;
  readonly direction: FlowDirection;
  /** TCP: the three-way handshake was seen. UDP: a reply was seen. */
  readonly established: boolean;
  readonly buffers: InspectionBuffers;
  /** Milliseconds, from the packet that completed the unit (the kernel's receive time). */
  readonly timeMs: number;
}

export type InspectionUnit =
  | (UnitBase & { readonly kind: 'packet' })
  | (UnitBase & { readonly kind: 'stream' })
  | (UnitBase & { readonly kind: 'http-request'; readonly http: HttpRequestFacts })
  | (UnitBase & { readonly kind: 'http-response'; readonly http: HttpResponseFacts })
  | (UnitBase & { readonly kind: 'tls-client-hello'; readonly tls: TlsClientHelloFacts })
  | (UnitBase & { readonly kind: 'tls-server-hello'; readonly tls: TlsServerHelloFacts })
  | (UnitBase & { readonly kind: 'dns-query'; readonly dns: DnsQueryFacts });

/** Ports an inspector wants to see, per protocol: the "application types" of its assigned rules. */
export interface PortSelection {
  readonly protocol: TransportProtocol;
  /** Server-side ports; empty = every port of this protocol. */
  readonly ports: readonly number[];
  /** How the engine should parse this traffic (default: guess from the port and the bytes). */
  readonly parser?: 'http' | 'tls' | 'dns' | 'none';
}

/**
 * An inspector's answer to one unit.
 * - `pass`: nothing to do.
 * - `block`: cut the flow. TCP: the packet is dropped, the client gets a reset, the rest of the
 *   flow is dropped. UDP: the datagram is dropped. `respond` (HTTP only) answers the client with
 *   this response instead of a bare reset (web reputation's block page).
 * In `tap` mode or when the inspector is in detect mode, the engine does not enforce `block` and
 * the event says `Detect Only`.
 */
export type InspectionDecision =
  | { readonly action: 'pass' }
  | {
      readonly action: 'block';
      readonly respond?: { readonly status: number; readonly headers: Record<string, string>; readonly body: string };
    };

export interface InspectionResult<Finding> {
  readonly decision: InspectionDecision;
  /** What to report (rule matches, reputation hits). The module turns them into events. */
  readonly findings: readonly Finding[];
}

export interface TrafficInspector<Finding, FlowState = unknown> {
  readonly id: string;
  readonly ports: readonly PortSelection[];
  /** Fresh per-flow state (flowbits, counters); kept by the engine with the flow. */
  newFlowState(): FlowState;
  inspect(unit: InspectionUnit, state: FlowState): InspectionResult<Finding>;
  /**
   * False once nothing this inspector has could match more of the flow (e.g. all rules look only
   * at request headers and those have passed): when every inspector says so, the engine hands
   * the flow back to the kernel and stops paying for it.
   * `flow` (always given by the engine) says what the flow carries, so that an inspector can
   * tell which of its rules still apply.
   */
  wantsMore(state: FlowState, direction: FlowDirection, flow?: FlowProgress): boolean;
}

/** What the engine knows of a flow that tells an inspector which of its rules can still apply. */
export interface FlowProgress {
  readonly endpoints: FlowEndpoints;
  /**
   * The application the flow's parser follows, once decided (from the inspectors' parser hint or
   * the client's first bytes): `none` = not HTTP, TLS or DNS, so only payload rules can match.
   */
  readonly application: ApplicationProtocol | undefined;
  /**
   * The application parser of this direction will hand over no more units: the HTTP parser
   * stopped (closed, gap, unparseable), the TLS ClientHello was found or given up.
   */
  parserDone(direction: FlowDirection): boolean;
  /** Payload inspection of the flow has ended: the TCP flow passed `streamInspectionDepth`. */
  payloadDone(): boolean;
}

export type ApplicationProtocol = 'http' | 'tls' | 'dns' | 'none';
