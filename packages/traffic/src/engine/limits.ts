/**
 * The engine's bounds, named so that status can show them beside what hitting them cost. Every
 * bound that is hit is counted in `TrafficEngineStats`; nothing is dropped silently.
 */
export interface TrafficLimits {
  /** Flows tracked at once; the least recently active flow is evicted beyond it. */
  readonly maxFlows: number;
  /** Bytes buffered by all flows together (out-of-order segments, partial headers, bodies). */
  readonly maxBufferedBytes: number;
  /** Out-of-order bytes held per direction of a flow; beyond it the hole is skipped as a gap. */
  readonly maxOutOfOrderBytesPerDirection: number;
  /** Out-of-order segments held per direction of a flow. */
  readonly maxOutOfOrderSegmentsPerDirection: number;
  /** Bytes of an HTTP request or response header block (request line included). */
  readonly maxHttpHeaderBytes: number;
  /** Body bytes of an HTTP message kept for inspection; the rest passes uninspected (counted). */
  readonly httpBodyInspectionDepth: number;
  /**
   * Bytes of a TCP flow (both directions together) shown to payload inspection (packet and
   * stream units), like Suricata's stream.reassembly.depth but per flow, because a flow is
   * handed back whole: past it only the application parsers (HTTP, with its own body depth)
   * still read the stream, and a flow that no parser's rules want is handed back. Counted in
   * `streamUninspectedBytes`.
   */
  readonly streamInspectionDepth: number;
  /** Bytes of the start of a TLS flow buffered to find a fragmented ClientHello. */
  readonly maxTlsHelloBytes: number;
  /** Bytes of the start of a TLS server's stream buffered to read its ServerHello and Certificate. */
  readonly maxTlsServerHelloBytes: number;
  /** HTTP requests waiting for their responses on one flow (pipelining). */
  readonly maxPipelinedRequests: number;
  /** Idle time after which a TCP flow is forgotten. */
  readonly tcpIdleTimeoutMs: number;
  /** Idle time after which a closed (FIN both ways or RST) TCP flow is forgotten. */
  readonly tcpClosedTimeoutMs: number;
  /** Idle time after which a UDP flow is forgotten. */
  readonly udpIdleTimeoutMs: number;
}

export const DEFAULT_TRAFFIC_LIMITS: TrafficLimits = {
  maxFlows: 65_536,
  maxBufferedBytes: 64 * 1024 * 1024,
  maxOutOfOrderBytesPerDirection: 256 * 1024,
  maxOutOfOrderSegmentsPerDirection: 256,
  maxHttpHeaderBytes: 16 * 1024,
  httpBodyInspectionDepth: 64 * 1024,
  streamInspectionDepth: 1024 * 1024,
  maxTlsHelloBytes: 16 * 1024,
  maxTlsServerHelloBytes: 64 * 1024,
  maxPipelinedRequests: 64,
  tcpIdleTimeoutMs: 600_000,
  tcpClosedTimeoutMs: 10_000,
  udpIdleTimeoutMs: 60_000,
};
