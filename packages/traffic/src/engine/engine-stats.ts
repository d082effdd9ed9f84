/** What the engine counts; status shows it beside the limits. */
import type { TrafficLimits } from './limits.js';

export interface TrafficEngineStats {
  packets: number;
  /** Packets that were not IPv4/IPv6 TCP/UDP or were malformed: accepted uninspected. */
  undecodable: number;
  undecodableReasons: Record<string, number>;
  /** Packets cut short by the queue's copy range (their missing bytes are gaps). */
  truncatedPackets: number;
  flowsCreated: number;
  flowsActive: number;
  flowsExpired: number;
  /** Flows evicted because maxFlows was reached. */
  flowsEvictedForCount: number;
  /** Flows evicted because maxBufferedBytes was reached. */
  flowsEvictedForMemory: number;
  bufferedBytes: number;
  retransmittedBytes: number;
  /** Overlapping segments whose bytes disagreed (the first copy was kept). */
  overlapConflicts: number;
  gaps: number;
  gapBytes: number;
  units: number;
  httpRequests: number;
  httpResponses: number;
  /** HTTP directions whose parsing stopped, by reason (gap, bad request line, tunnel...). */
  httpParserStops: Record<string, number>;
  /** HTTP body bytes past the inspection depth (passed, not inspected). */
  httpUninspectedBodyBytes: number;
  /** TCP payload bytes past `streamInspectionDepth` (not shown to payload inspection). */
  streamUninspectedBytes: number;
  tlsClientHellos: number;
  /** ServerHellos read (with the certificate's names up to TLS 1.2). */
  tlsServerHellos: number;
  dnsQueries: number;
  /** Flows blocked (inline). */
  flowsBlocked: number;
  /** Blocks not enforced because the engine is in tap mode. */
  detectOnlyBlocks: number;
  /** Flows handed back to the kernel because no inspector wanted more of them. */
  flowsHandedBack: number;
  /** Flows whose reply direction alone was handed back (no inspector reads the server's packets). */
  flowsRepliesHandedBack: number;
  /** Inspector calls that threw (counted, treated as pass). */
  inspectorErrors: number;
  limits: TrafficLimits;
}

export function emptyStats(limits: TrafficLimits): TrafficEngineStats {
  return {
    packets: 0,
    undecodable: 0,
    undecodableReasons: {},
    truncatedPackets: 0,
    flowsCreated: 0,
    flowsActive: 0,
    flowsExpired: 0,
    flowsEvictedForCount: 0,
    flowsEvictedForMemory: 0,
    bufferedBytes: 0,
    retransmittedBytes: 0,
    overlapConflicts: 0,
    gaps: 0,
    gapBytes: 0,
    units: 0,
    httpRequests: 0,
    httpResponses: 0,
    httpParserStops: {},
    httpUninspectedBodyBytes: 0,
    flowsRepliesHandedBack: 0,
    streamUninspectedBytes: 0,
    tlsClientHellos: 0,
    tlsServerHellos: 0,
    dnsQueries: 0,
    flowsBlocked: 0,
    detectOnlyBlocks: 0,
    flowsHandedBack: 0,
    inspectorErrors: 0,
    limits,
  };
}
