/**
 * What the engine keeps per flow: orientation, TCP state, one reassembler and one application
 * parser per direction, each inspector's state, and whether the flow is blocked or handed back.
 */

import type { TableEntry } from './flow-table.js';
import { type HttpExchange, HttpStreamParser } from './http-stream-parser.js';
import type {
  ApplicationProtocol,
  FlowDirection,
  FlowEndpoints,
  FlowProgress,
  TrafficInspector,
} from './inspection-contract.js';
import type { TrafficLimits } from './limits.js';
import { type ReassemblyCounters, StreamReassembler } from './stream-reassembler.js';

export type { ApplicationProtocol };

export interface DirectionState {
  readonly reassembler: StreamReassembler;
  http?: HttpStreamParser;
  /** Start of the client's stream while looking for the TLS ClientHello. */
  tlsStart?: Uint8Array;
  /** The ClientHello was found, or this is not TLS: stop looking. */
  tlsFinished: boolean;
  finSeen: boolean;
  /** Stream offset just past the last byte (the FIN's sequence number), once a FIN was seen. */
  finOffset?: number;
  /** The application parser was told the stream ended. */
  ended: boolean;
}

export class Flow implements TableEntry, FlowProgress {
  readonly id: number;
  readonly endpoints: FlowEndpoints;
  readonly #limits: TrafficLimits;
  lastSeenMs: number;
  synSeen = false;
  synAckSeen = false;
  established = false;
  /** RST seen, or FIN both ways. */
  closed = false;
  /** Decided once, from the inspectors' parser hints or the first client bytes. */
  application: ApplicationProtocol | undefined;
  readonly toServer: DirectionState;
  readonly toClient: DirectionState;
  readonly exchange: HttpExchange = { pendingMethods: [] };
  readonly inspectorStates = new Map<string, unknown>();
  /** The inspectors whose ports cover this flow, as of `inspectorsGeneration`. */
  inspectors: readonly TrafficInspector<unknown>[] = [];
  inspectorsGeneration = 0;
  blocked = false;
  handedBack = false;
  /** The server's packets no longer come (the kernel stopped queueing the reply direction). */
  repliesHandedBack = false;
  /** Bytes this flow held at the last count (the engine keeps the total). */
  bufferedBytes = 0;

  constructor(
    id: number,
    endpoints: FlowEndpoints,
    limits: TrafficLimits,
    timeMs: number,
    counters: ReassemblyCounters,
  ) {
    this.id = id;
    this.endpoints = endpoints;
    this.#limits = limits;
    this.lastSeenMs = timeMs;
    const reassembly = {
      maxBytes: limits.maxOutOfOrderBytesPerDirection,
      maxSegments: limits.maxOutOfOrderSegmentsPerDirection,
    };
    this.toServer = {
      reassembler: new StreamReassembler(reassembly, counters),
      finSeen: false,
      tlsFinished: false,
      ended: false,
    };
    this.toClient = {
      reassembler: new StreamReassembler(reassembly, counters),
      finSeen: false,
      tlsFinished: false,
      ended: false,
    };
  }

  side(direction: FlowDirection): DirectionState {
    return direction === 'to_server' ? this.toServer : this.toClient;
  }

  parserDone(direction: FlowDirection): boolean {
    const side = this.side(direction);
    if (this.application === 'http') {
      if (side.http?.stopped !== undefined) return true;
      // The client's bytes were not an HTTP request: no response will follow (e.g. another
      // protocol on an HTTP port).
      const requests = this.toServer.http;
      return direction === 'to_client' && requests?.stopped !== undefined && requests.messagesStarted === 0;
    }
    if (this.application === 'tls') return direction === 'to_client' || side.tlsFinished;
    return this.application === 'none';
  }

  payloadDone(): boolean {
    if (this.endpoints.protocol !== 'tcp') return false;
    const streamed = this.toServer.reassembler.nextOffset + this.toClient.reassembler.nextOffset;
    return streamed >= this.#limits.streamInspectionDepth;
  }

  startHttp(): void {
    this.toServer.http = new HttpStreamParser('request', this.#limits, this.exchange);
    this.toClient.http = new HttpStreamParser('response', this.#limits, this.exchange);
  }

  idleTimeoutMs(): number {
    if (this.endpoints.protocol === 'udp') return this.#limits.udpIdleTimeoutMs;
    return this.closed ? this.#limits.tcpClosedTimeoutMs : this.#limits.tcpIdleTimeoutMs;
  }

  measureBufferedBytes(): number {
    let total = 0;
    for (const d of [this.toServer, this.toClient]) {
      total += d.reassembler.heldBytes + (d.http?.bufferedBytes ?? 0) + (d.tlsStart?.length ?? 0);
    }
    return total;
  }

  release(): void {
    for (const d of [this.toServer, this.toClient]) {
      d.reassembler.clear();
      d.http = undefined;
      d.tlsStart = undefined;
    }
    this.inspectorStates.clear();
  }
}
