export { certificateNames, MAX_CERTIFICATE_DNS_NAMES } from './certificate-names.js';
export { parseDnsQuery } from './dns-query.js';
export { emptyStats, type TrafficEngineStats } from './engine-stats.js';
export { type HttpMessage, HttpStreamParser } from './http-stream-parser.js';
export * from './inspection-contract.js';
export { DEFAULT_TRAFFIC_LIMITS, type TrafficLimits } from './limits.js';
export {
  type DecodedPacket,
  decodePacket,
  formatIpv6,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
} from './packet-decoder.js';
export { StreamReassembler } from './stream-reassembler.js';
export {
  buildTcpSegment,
  httpResponseBytes,
  MAX_BUILT_SEGMENT_PAYLOAD,
  parseAddress,
  resetInsteadOf,
  responseSegments,
  type SegmentFields,
} from './tcp-segment.js';
export { parseClientHello } from './tls-client-hello.js';
export { parseServerHello } from './tls-server-hello.js';
export {
  type InspectorFindings,
  type PacketVerdictDecision,
  type PushResult,
  TrafficEngine,
  type TrafficEngineOptions,
  type TrafficMode,
} from './traffic-engine.js';
export { MAX_URI_DECODE_PASSES, type NormalisedUri, normaliseUri } from './uri-normaliser.js';
