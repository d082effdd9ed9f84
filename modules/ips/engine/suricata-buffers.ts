/**
 * The buffers a rule can look in: the traffic engine's (named after Suricata's sticky buffers),
 * a few more taken from the parsed HTTP headers (Referer, Accept..., Location, Server), and
 * `payload` (the packet or reassembled stream bytes, what a content without a buffer reads).
 */
import type { InspectionBufferName } from '@bulwark/traffic/engine';

export type DerivedBufferName =
  | 'http.referer'
  | 'http.accept'
  | 'http.accept_enc'
  | 'http.accept_lang'
  | 'http.connection'
  | 'http.location'
  | 'http.server';

export type BufferName = InspectionBufferName | DerivedBufferName | 'payload';

/** Derived buffers and the header each one holds the value of. */
export const DERIVED_HEADERS: Readonly<Record<DerivedBufferName, string>> = {
  'http.referer': 'referer',
  'http.accept': 'accept',
  'http.accept_enc': 'accept-encoding',
  'http.accept_lang': 'accept-language',
  'http.connection': 'connection',
  'http.location': 'location',
  'http.server': 'server',
};

/** Sticky buffer keywords (Suricata 5+ names and the older underscore ones). */
export const STICKY_BUFFERS: Readonly<Record<string, BufferName>> = {
  'http.uri': 'http.uri',
  'http.uri.raw': 'http.uri.raw',
  'http.method': 'http.method',
  'http.host': 'http.host',
  'http.host.raw': 'http.host.raw',
  'http.user_agent': 'http.user_agent',
  'http.header': 'http.header',
  'http.header.raw': 'http.header.raw',
  'http.header_names': 'http.header_names',
  http_header_names: 'http.header_names',
  'http.cookie': 'http.cookie',
  'http.request_body': 'http.request_body',
  'http.content_type': 'http.content_type',
  'http.content_len': 'http.content_len',
  'http.request_line': 'http.request_line',
  http_request_line: 'http.request_line',
  'http.response_line': 'http.response_line',
  http_response_line: 'http.response_line',
  'http.stat_code': 'http.stat_code',
  'http.stat_msg': 'http.stat_msg',
  'http.response_body': 'http.response_body',
  'http.protocol': 'http.protocol',
  'http.referer': 'http.referer',
  'http.accept': 'http.accept',
  'http.accept_enc': 'http.accept_enc',
  'http.accept_lang': 'http.accept_lang',
  'http.connection': 'http.connection',
  'http.location': 'http.location',
  'http.server': 'http.server',
  'tls.sni': 'tls.sni',
  tls_sni: 'tls.sni',
  'dns.query': 'dns.query',
  dns_query: 'dns.query',
  pkt_data: 'payload',
};

/** Content modifiers of the older syntax: they move the content before them into a buffer. */
export const LEGACY_MODIFIERS: Readonly<Record<string, BufferName>> = {
  http_uri: 'http.uri',
  http_raw_uri: 'http.uri.raw',
  http_header: 'http.header',
  http_raw_header: 'http.header.raw',
  http_method: 'http.method',
  http_cookie: 'http.cookie',
  http_client_body: 'http.request_body',
  http_stat_code: 'http.stat_code',
  http_stat_msg: 'http.stat_msg',
  http_server_body: 'http.response_body',
  http_user_agent: 'http.user_agent',
  http_host: 'http.host',
  http_raw_host: 'http.host.raw',
};

/** Buffers only a request has, and only a response has; the rest are read on either side. */
const REQUEST_ONLY = new Set<BufferName>([
  'http.uri',
  'http.uri.raw',
  'http.method',
  'http.host',
  'http.host.raw',
  'http.user_agent',
  'http.request_body',
  'http.request_line',
  'http.referer',
  'http.accept',
  'http.accept_enc',
  'http.accept_lang',
]);
const RESPONSE_ONLY = new Set<BufferName>([
  'http.stat_code',
  'http.stat_msg',
  'http.response_line',
  'http.response_body',
  'http.location',
  'http.server',
]);

export function isRequestOnly(b: BufferName): boolean {
  return REQUEST_ONLY.has(b);
}
export function isResponseOnly(b: BufferName): boolean {
  return RESPONSE_ONLY.has(b);
}

/** Which kind of inspection unit a buffer belongs to. */
export function scopeOf(b: BufferName): 'http' | 'tls' | 'dns' | 'payload' {
  if (b === 'payload') return 'payload';
  if (b === 'tls.sni') return 'tls';
  if (b === 'dns.query') return 'dns';
  if (b === 'packet' || b === 'stream') return 'payload';
  return 'http';
}
