/**
 * Inspection units built by hand for the engine's unit tests (the traffic engine's parsers make
 * them in production). Not shipped code: only tests import this file.
 */
import type { HttpRequestFacts, InspectionBuffers, InspectionUnit } from '@bulwark/traffic/engine';
import type { AssignedIpsRule, IpsRule } from './ips-engine-contract.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

export interface RequestShape {
  readonly method?: string;
  readonly target?: string;
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string;
  readonly client?: string;
  readonly clientPort?: number;
  readonly server?: string;
  readonly serverPort?: number;
  readonly timeMs?: number;
  readonly flowId?: number;
  readonly anomalies?: readonly string[];
}

/** A simple normalisation for tests: percent-decoding of the path and query. */
function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

export function httpRequest(r: RequestShape = {}): InspectionUnit {
  const method = r.method ?? 'GET';
  const target = r.target ?? '/';
  const headers = r.headers ?? [
    ['host', 'example.test'],
    ['user-agent', 'curl/8.0'],
  ];
  const [path = '', query] = target.split('?', 2);
  const parameters =
    query === undefined
      ? []
      : query
          .split('&')
          .filter((p) => p !== '')
          .map((p) => {
            const [k = '', v = ''] = p.split('=', 2);
            return [decode(k), decode(v)] as const;
          });
  const uri = decode(path) + (query === undefined ? '' : `?${decode(query)}`);
  const headerText = headers
    .filter(([n]) => n !== 'cookie')
    .map(([n, v]) => `${n.replace(/(^|-)([a-z])/g, (m) => m.toUpperCase())}: ${v}\r\n`)
    .join('');
  const buffers: InspectionBuffers = {
    'http.method': bytes(method),
    'http.uri': bytes(uri),
    'http.uri.raw': bytes(target),
    'http.protocol': bytes('HTTP/1.1'),
    'http.request_line': bytes(`${method} ${target} HTTP/1.1`),
    'http.header': bytes(headerText),
    'http.header.raw': bytes(headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')),
    ...Object.fromEntries(
      (
        [
          ['host', 'http.host'],
          ['user-agent', 'http.user_agent'],
          ['cookie', 'http.cookie'],
          ['content-type', 'http.content_type'],
        ] as const
      )
        .map(([h, b]) => [b, headers.find(([n]) => n === h)?.[1]] as const)
        .filter(([, v]) => v !== undefined)
        .map(([b, v]) => [b, bytes(v as string)]),
    ),
    ...(r.body !== undefined ? { 'http.request_body': bytes(r.body) } : {}),
  };
  const http: HttpRequestFacts = {
    method,
    rawTarget: target,
    normalisedPath: decode(path),
    parameters,
    version: '1.1',
    headers,
    chunked: false,
    bodyTruncated: false,
    anomalies: r.anomalies ?? [],
    ...(r.body !== undefined ? { contentLength: r.body.length } : {}),
  };
  return {
    kind: 'http-request',
    flowId: r.flowId ?? 1,
    flow: {
      protocol: 'tcp',
      clientAddress: r.client ?? '10.0.0.2',
      clientPort: r.clientPort ?? 40000,
      serverAddress: r.server ?? '10.0.0.1',
      serverPort: r.serverPort ?? 80,
    },
    direction: 'to_server',
    established: true,
    buffers,
    timeMs: r.timeMs ?? 1_000_000,
    http,
  };
}

export function httpResponse(
  status: number,
  body: string,
  headers: readonly (readonly [string, string])[] = [],
): InspectionUnit {
  return {
    kind: 'http-response',
    flowId: 1,
    flow: { protocol: 'tcp', clientAddress: '10.0.0.2', clientPort: 40000, serverAddress: '10.0.0.1', serverPort: 80 },
    direction: 'to_client',
    established: true,
    buffers: {
      'http.stat_code': bytes(String(status)),
      'http.response_body': bytes(body),
      'http.header': bytes(headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')),
    },
    timeMs: 1_000_000,
    http: { version: '1.1', status, headers, bodyTruncated: false, anomalies: [] },
  };
}

export function packet(
  payload: string,
  r: {
    protocol?: 'tcp' | 'udp';
    serverPort?: number;
    client?: string;
    direction?: 'to_server' | 'to_client';
    timeMs?: number;
  } = {},
): InspectionUnit {
  return {
    kind: 'packet',
    flowId: 2,
    flow: {
      protocol: r.protocol ?? 'tcp',
      clientAddress: r.client ?? '10.0.0.2',
      clientPort: 40001,
      serverAddress: '10.0.0.1',
      serverPort: r.serverPort ?? 9000,
    },
    direction: r.direction ?? 'to_server',
    established: true,
    buffers: { packet: bytes(payload) },
    timeMs: r.timeMs ?? 1_000_000,
  };
}

export function dnsQuery(name: string): InspectionUnit {
  return {
    kind: 'dns-query',
    flowId: 3,
    flow: { protocol: 'udp', clientAddress: '10.0.0.2', clientPort: 5353, serverAddress: '10.0.0.53', serverPort: 53 },
    direction: 'to_server',
    established: false,
    buffers: { 'dns.query': bytes(name) },
    timeMs: 1_000_000,
    dns: { name, type: 1 },
  };
}

/** An imported-style rule around a Suricata rule text. */
export function suricata(text: string, id = 'sid:1'): AssignedIpsRule {
  const rule: IpsRule = {
    id,
    format: 'suricata',
    name: id,
    description: '',
    severity: 'medium',
    applicationType: { name: 'any', protocol: 'tcp', ports: [] },
    detection: { kind: 'suricata', rule: text },
  };
  return { rule };
}
