/**
 * One direction of an HTTP/1.x connection, fed reassembled bytes in order. Emits a message when
 * its header block is complete (`stage: 'headers'`, only when a body follows) and when the whole
 * message is (`stage: 'complete'`, body de-chunked up to the inspection depth). Pipelined messages
 * follow each other; what cannot be parsed stops the parser for the rest of the flow (reported as
 * an anomaly on a message, counted by the engine).
 */
import { bodyFraming, headerBuffers, parseHead, parseRequestLine, parseStatusLine } from './http-head.js';
import type { HttpRequestFacts, HttpResponseFacts, InspectionBuffers } from './inspection-contract.js';

export interface HttpParserLimits {
  readonly maxHttpHeaderBytes: number;
  readonly httpBodyInspectionDepth: number;
  readonly maxPipelinedRequests: number;
}

export type HttpMessage =
  | {
      readonly kind: 'http-request';
      readonly stage: 'headers' | 'complete';
      readonly http: HttpRequestFacts;
      readonly buffers: InspectionBuffers;
    }
  | {
      readonly kind: 'http-response';
      readonly stage: 'headers' | 'complete';
      readonly http: HttpResponseFacts;
      readonly buffers: InspectionBuffers;
    };

/** Shared by the two directions of one flow: request methods waiting for their responses. */
export interface HttpExchange {
  readonly pendingMethods: string[];
}

type State =
  | 'head'
  | 'body-length'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-data-end'
  | 'trailers'
  | 'until-close'
  | 'stopped';

interface Current {
  readonly kind: 'http-request' | 'http-response';
  readonly facts:
    | Omit<HttpRequestFacts, 'bodyTruncated' | 'anomalies'>
    | Omit<HttpResponseFacts, 'bodyTruncated' | 'anomalies'>;
  readonly buffers: InspectionBuffers;
  readonly anomalies: Set<string>;
  body: Uint8Array[];
  bodyBytes: number;
  truncated: boolean;
}

const EMPTY = new Uint8Array(0);

export class HttpStreamParser {
  readonly #isRequest: boolean;
  readonly #limits: HttpParserLimits;
  readonly #exchange: HttpExchange;
  #state: State = 'head';
  #line: Uint8Array = EMPTY;
  #remaining = 0;
  #current: Current | undefined;
  #stopReason: string | undefined;
  /** Body bytes that went past the inspection depth (not inspected). */
  uninspectedBodyBytes = 0;
  /** Messages whose start line parsed. */
  messagesStarted = 0;

  constructor(direction: 'request' | 'response', limits: HttpParserLimits, exchange: HttpExchange) {
    this.#isRequest = direction === 'request';
    this.#limits = limits;
    this.#exchange = exchange;
  }

  get stopped(): string | undefined {
    return this.#stopReason;
  }

  /** Bytes held (partial header block or line, body up to the depth). */
  get bufferedBytes(): number {
    return this.#line.length + (this.#current?.bodyBytes ?? 0);
  }

  push(data: Uint8Array): HttpMessage[] {
    const out: HttpMessage[] = [];
    let i = 0;
    while (i < data.length && this.#state !== 'stopped') i = this.#step(data, i, out);
    return out;
  }

  /** Bytes were lost before the next ones: the message boundary is unknown, parsing stops. */
  gap(): HttpMessage[] {
    const out: HttpMessage[] = [];
    if (this.#current) {
      this.#current.anomalies.add('stream-gap');
      this.#finish(out);
    }
    this.#stop('stream-gap');
    return out;
  }

  /** The sender closed its side: a body delimited by the close is complete. */
  end(): HttpMessage[] {
    const out: HttpMessage[] = [];
    if (this.#current && this.#state !== 'head') {
      if (this.#state !== 'until-close') this.#current.anomalies.add('truncated-body');
      this.#finish(out);
    }
    this.#stop('closed');
    return out;
  }

  #stop(reason: string): void {
    this.#state = 'stopped';
    this.#stopReason ??= reason;
    this.#line = EMPTY;
    this.#current = undefined;
  }

  #step(data: Uint8Array, i: number, out: HttpMessage[]): number {
    switch (this.#state) {
      case 'head':
        return this.#readHead(data, i, out);
      case 'body-length': {
        const n = Math.min(this.#remaining, data.length - i);
        this.#takeBody(data.subarray(i, i + n));
        this.#remaining -= n;
        if (this.#remaining === 0) this.#finish(out);
        return i + n;
      }
      case 'chunk-size':
        return this.#readLine(
          data,
          i,
          1024,
          (line) => {
            const m = /^([0-9a-fA-F]{1,8})[ \t]*(;.*)?$/.exec(line);
            if (!m || !this.#current) {
              this.#current?.anomalies.add('invalid-chunk-size');
              this.#finish(out);
              this.#stop('invalid-chunk-size');
              return;
            }
            this.#remaining = Number.parseInt(m[1] ?? '0', 16);
            this.#state = this.#remaining === 0 ? 'trailers' : 'chunk-data';
          },
          () => {
            this.#current?.anomalies.add('invalid-chunk-size');
            this.#finish(out);
            this.#stop('invalid-chunk-size');
          },
        );
      case 'chunk-data': {
        const n = Math.min(this.#remaining, data.length - i);
        this.#takeBody(data.subarray(i, i + n));
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = 'chunk-data-end';
        return i + n;
      }
      case 'chunk-data-end':
        return this.#readLine(
          data,
          i,
          2,
          (line) => {
            if (line !== '') this.#current?.anomalies.add('invalid-chunk-size');
            this.#state = 'chunk-size';
          },
          () => {
            this.#current?.anomalies.add('invalid-chunk-size');
            this.#finish(out);
            this.#stop('invalid-chunk-size');
          },
        );
      case 'trailers':
        return this.#readLine(
          data,
          i,
          this.#limits.maxHttpHeaderBytes,
          (line) => {
            if (line === '') this.#finish(out);
          },
          () => {
            this.#current?.anomalies.add('header-too-long');
            this.#finish(out);
            this.#stop('header-too-long');
          },
        );
      case 'until-close':
        this.#takeBody(data.subarray(i));
        return data.length;
      default:
        return data.length;
    }
  }

  /** Reads one line (LF-terminated, CR stripped) into `#line`; calls back when complete. */
  #readLine(data: Uint8Array, i: number, max: number, onLine: (line: string) => void, onTooLong: () => void): number {
    const lf = data.indexOf(0x0a, i);
    const end = lf < 0 ? data.length : lf + 1;
    this.#line = concat(this.#line, data.subarray(i, end));
    if (lf < 0) {
      if (this.#line.length > max + 2) onTooLong();
      return end;
    }
    let text = String.fromCharCode(...this.#line.subarray(0, this.#line.length - 1));
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.#line = EMPTY;
    if (text.length > max) onTooLong();
    else onLine(text);
    return end;
  }

  #readHead(data: Uint8Array, i: number, out: HttpMessage[]): number {
    // Empty lines before a start line are tolerated (RFC 9112 §2.2).
    if (this.#line.length === 0) {
      while (i < data.length && (data[i] === 0x0d || data[i] === 0x0a)) i++;
      if (i === data.length) return i;
    }
    const scanFrom = Math.max(0, this.#line.length - 3);
    // Nothing held: look in the segment itself (no copy; a partial block is copied below).
    const joined = this.#line.length === 0 ? data.subarray(i) : concat(this.#line, data.subarray(i));
    const end = headEnd(joined, scanFrom);
    if (end < 0) {
      this.#line = this.#line.length === 0 ? Uint8Array.from(joined) : joined;
      if (joined.length > this.#limits.maxHttpHeaderBytes) {
        this.#emitHead(joined, out, 'header-too-long');
        this.#stop('header-too-long');
      }
      return data.length;
    }
    const consumed = end - this.#line.length;
    this.#line = EMPTY;
    if (end > this.#limits.maxHttpHeaderBytes) {
      this.#emitHead(joined.subarray(0, end), out, 'header-too-long');
      this.#stop('header-too-long');
      return data.length;
    }
    this.#emitHead(joined.subarray(0, end), out, undefined);
    return i + consumed;
  }

  #emitHead(block: Uint8Array, out: HttpMessage[], extraAnomaly: string | undefined): void {
    const head = parseHead(block);
    const anomalies = head.anomalies;
    if (extraAnomaly) anomalies.add(extraAnomaly);
    const framing = bodyFraming(head.headers, anomalies, this.#isRequest);
    if (this.#isRequest) {
      const line = parseRequestLine(head, anomalies);
      if (!line) {
        this.#stop('bad-request-line');
        return;
      }
      this.messagesStarted++;
      if (this.#exchange.pendingMethods.length < this.#limits.maxPipelinedRequests)
        this.#exchange.pendingMethods.push(line.method);
      const lengthHeader = head.headers.find(([n]) => n === 'content-length');
      this.#current = {
        kind: 'http-request',
        facts: {
          method: line.method,
          rawTarget: line.rawTarget,
          normalisedPath: line.normalisedPath,
          parameters: line.parameters,
          version: line.version,
          headers: head.headers,
          ...(lengthHeader && /^[0-9]{1,15}$/.test(lengthHeader[1]) ? { contentLength: Number(lengthHeader[1]) } : {}),
          chunked: framing.kind === 'chunked',
        },
        buffers: { ...line.buffers, ...headerBuffers(head, 'cookie') },
        anomalies,
        body: [],
        bodyBytes: 0,
        truncated: false,
      };
    } else {
      const line = parseStatusLine(head, anomalies);
      if (!line) {
        this.#stop('bad-status-line');
        return;
      }
      this.messagesStarted++;
      this.#current = {
        kind: 'http-response',
        facts: { version: line.version, status: line.status, headers: head.headers },
        buffers: { ...line.buffers, ...headerBuffers(head, 'set-cookie') },
        anomalies,
        body: [],
        bodyBytes: 0,
        truncated: false,
      };
      const informational = line.status >= 100 && line.status < 200;
      const method = informational ? this.#exchange.pendingMethods[0] : this.#exchange.pendingMethods.shift();
      if (informational || line.status === 204 || line.status === 304 || method === 'HEAD') {
        this.#finish(out);
        return;
      }
      if (method === 'CONNECT' && line.status >= 200 && line.status < 300) {
        this.#finish(out);
        this.#stop('tunnel');
        return;
      }
    }
    if (extraAnomaly) {
      this.#finish(out);
      return;
    }
    switch (framing.kind) {
      case 'none':
        this.#finish(out);
        return;
      case 'length':
        this.#remaining = framing.length;
        this.#state = 'body-length';
        break;
      case 'chunked':
        this.#state = 'chunk-size';
        break;
      case 'until-close':
        this.#state = 'until-close';
        break;
    }
    out.push(this.#message('headers'));
  }

  #takeBody(bytes: Uint8Array): void {
    const c = this.#current;
    if (!c || bytes.length === 0) return;
    const room = this.#limits.httpBodyInspectionDepth - c.bodyBytes;
    if (room > 0) {
      const kept = bytes.subarray(0, room);
      c.body.push(Uint8Array.from(kept));
      c.bodyBytes += kept.length;
    }
    if (bytes.length > room) {
      c.truncated = true;
      this.uninspectedBodyBytes += bytes.length - Math.max(0, room);
    }
  }

  #message(stage: 'headers' | 'complete'): HttpMessage {
    const c = this.#current as Current;
    let buffers: InspectionBuffers = c.buffers;
    if (stage === 'complete' && c.bodyBytes > 0) {
      buffers = { ...c.buffers };
      buffers[c.kind === 'http-request' ? 'http.request_body' : 'http.response_body'] = concatAll(c.body, c.bodyBytes);
    }
    const common = { bodyTruncated: c.truncated, anomalies: [...c.anomalies], stage };
    return c.kind === 'http-request'
      ? { kind: 'http-request', stage, http: { ...(c.facts as HttpRequestFacts), ...common }, buffers }
      : { kind: 'http-response', stage, http: { ...(c.facts as HttpResponseFacts), ...common }, buffers };
  }

  #finish(out: HttpMessage[]): void {
    if (!this.#current) return;
    out.push(this.#message('complete'));
    this.#current = undefined;
    this.#state = 'head';
  }
}

/** Index just past the empty line ending a header block, or -1. */
function headEnd(b: Uint8Array, from: number): number {
  for (let k = b.indexOf(0x0a, from); k >= 0; k = b.indexOf(0x0a, k + 1)) {
    if (b[k - 1] === 0x0a) return k + 1;
    if (b[k - 1] === 0x0d && b[k - 2] === 0x0a) return k + 1;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return Uint8Array.from(b);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function concatAll(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
