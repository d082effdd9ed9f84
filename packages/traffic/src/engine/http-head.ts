/**
 * Parses one HTTP/1.x header block (start line and header lines, as sent) into the facts and
 * sticky buffers of the contract. Folded lines (obsolete) are unfolded and flagged.
 */
import type { InspectionBuffers } from './inspection-contract.js';
import { normaliseUri } from './uri-normaliser.js';

const latin1 = new TextDecoder('latin1');
const encoder = new TextEncoder();
/** Header text to bytes one-to-one (header bytes were read as latin1). */
export const latin1Bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

export const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
  'SEARCH',
  'REPORT',
]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export interface ParsedHead {
  readonly startLine: string;
  readonly headers: [string, string][];
  readonly anomalies: Set<string>;
  readonly rawHeaderBlock: Uint8Array;
}

/** Splits the block into start line and unfolded headers. */
export function parseHead(block: Uint8Array): ParsedHead {
  const anomalies = new Set<string>();
  const text = latin1.decode(block);
  const lines = text.split('\n');
  if (lines.some((l, i) => i < lines.length - 1 && !l.endsWith('\r'))) anomalies.add('bare-lf');
  const clean = lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (clean.length > 0 && clean[clean.length - 1] === '') clean.pop();
  const startLine = clean[0] ?? '';
  const headers: [string, string][] = [];
  for (const line of clean.slice(1)) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      anomalies.add('obsolete-line-folding');
      const last = headers[headers.length - 1];
      if (last) last[1] = `${last[1]} ${line.trim()}`.trim();
      else anomalies.add('header-without-name');
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      anomalies.add('header-without-colon');
      continue;
    }
    const rawName = line.slice(0, colon);
    if (rawName !== rawName.trimEnd()) anomalies.add('space-before-colon');
    const name = rawName.trim().toLowerCase();
    if (!TOKEN.test(name)) anomalies.add('bad-header-name');
    headers.push([name, line.slice(colon + 1).trim()]);
  }
  const firstEnd = block.indexOf(0x0a);
  const rawHeaderBlock = firstEnd < 0 ? new Uint8Array(0) : block.subarray(firstEnd + 1);
  return { startLine, headers, anomalies, rawHeaderBlock };
}

export type BodyFraming =
  | { readonly kind: 'none' }
  | { readonly kind: 'length'; readonly length: number }
  | { readonly kind: 'chunked' }
  | { readonly kind: 'until-close' };

/** How the body is delimited (RFC 9112 §6.3), noting what request smuggling relies on. */
export function bodyFraming(
  headers: readonly (readonly [string, string])[],
  anomalies: Set<string>,
  isRequest: boolean,
): BodyFraming {
  const te = headers.filter(([n]) => n === 'transfer-encoding').map(([, v]) => v.toLowerCase());
  const cl = headers.filter(([n]) => n === 'content-length').map(([, v]) => v);
  if (te.length > 0 && cl.length > 0) anomalies.add('content-length-and-transfer-encoding');
  if (te.length > 0) {
    const codings = te
      .join(',')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (codings[codings.length - 1] === 'chunked') return { kind: 'chunked' };
    anomalies.add('unknown-transfer-encoding');
    return isRequest ? { kind: 'none' } : { kind: 'until-close' };
  }
  if (cl.length > 0) {
    if (new Set(cl).size > 1) anomalies.add('multiple-content-length');
    const value = cl[0] ?? '';
    if (!/^[0-9]{1,15}$/.test(value)) {
      anomalies.add('bad-content-length');
      return isRequest ? { kind: 'none' } : { kind: 'until-close' };
    }
    const length = Number(value);
    return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  }
  return isRequest ? { kind: 'none' } : { kind: 'until-close' };
}

/** The buffers both directions share: headers, names, cookie, content type and length. */
export function headerBuffers(head: ParsedHead, cookieHeader: string): InspectionBuffers {
  const plain = head.headers.filter(([n]) => n !== cookieHeader);
  const buffers: InspectionBuffers = {
    'http.header': latin1Bytes(plain.map(([n, v]) => `${n}: ${v}\r\n`).join('')),
    'http.header.raw': head.rawHeaderBlock,
    'http.header_names': latin1Bytes(`\r\n${head.headers.map(([n]) => n).join('\r\n')}\r\n\r\n`),
  };
  const cookies = head.headers.filter(([n]) => n === cookieHeader).map(([, v]) => v);
  if (cookies.length > 0) buffers['http.cookie'] = latin1Bytes(cookies.join('; '));
  const type = head.headers.find(([n]) => n === 'content-type');
  if (type) buffers['http.content_type'] = latin1Bytes(type[1]);
  const length = head.headers.find(([n]) => n === 'content-length');
  if (length) buffers['http.content_len'] = latin1Bytes(length[1]);
  return buffers;
}

export interface RequestLine {
  readonly method: string;
  readonly rawTarget: string;
  readonly version: string;
  readonly buffers: InspectionBuffers;
  readonly normalisedPath: string;
  readonly parameters: readonly (readonly [string, string])[];
}

export function parseRequestLine(head: ParsedHead, anomalies: Set<string>): RequestLine | undefined {
  const parts = head.startLine.split(/[ \t]+/).filter((p) => p !== '');
  if (parts.length < 2 || parts.length > 3) {
    anomalies.add('bad-request-line');
    return undefined;
  }
  const [method = '', rawTarget = '', version = 'HTTP/0.9'] = parts;
  if (!TOKEN.test(method)) anomalies.add('bad-method');
  else if (!KNOWN_METHODS.has(method)) anomalies.add('unknown-method');
  if (!/^HTTP\/[0-9]\.[0-9]$/.test(version)) anomalies.add('bad-version');
  const normalised = normaliseUri(latin1Bytes(rawTarget));
  for (const a of normalised.anomalies) anomalies.add(a);
  if (version === 'HTTP/1.1' && !head.headers.some(([n]) => n === 'host')) anomalies.add('missing-host');
  const buffers: InspectionBuffers = {
    'http.method': latin1Bytes(method),
    'http.uri': normalised.uri,
    'http.uri.raw': latin1Bytes(rawTarget),
    'http.protocol': latin1Bytes(version),
    'http.request_line': latin1Bytes(head.startLine),
  };
  const host = head.headers.find(([n]) => n === 'host');
  if (host) {
    buffers['http.host.raw'] = latin1Bytes(host[1]);
    buffers['http.host'] = latin1Bytes(host[1].toLowerCase().replace(/:[0-9]*$/, ''));
  }
  const agent = head.headers.find(([n]) => n === 'user-agent');
  if (agent) buffers['http.user_agent'] = latin1Bytes(agent[1]);
  return { method, rawTarget, version, buffers, normalisedPath: normalised.path, parameters: normalised.parameters };
}

export interface StatusLine {
  readonly version: string;
  readonly status: number;
  readonly buffers: InspectionBuffers;
}

export function parseStatusLine(head: ParsedHead, anomalies: Set<string>): StatusLine | undefined {
  const m = /^(HTTP\/[0-9]\.[0-9]) ([0-9]{3})(?: (.*))?$/.exec(head.startLine);
  if (!m) {
    anomalies.add('bad-status-line');
    return undefined;
  }
  const [, version = '', code = '', message = ''] = m;
  return {
    version,
    status: Number(code),
    buffers: {
      'http.protocol': latin1Bytes(version),
      'http.stat_code': latin1Bytes(code),
      'http.stat_msg': latin1Bytes(message),
      'http.response_line': latin1Bytes(head.startLine),
    },
  };
}

export { encoder as utf8Encoder };
