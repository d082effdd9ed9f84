/**
 * The traffic engine: packets in (as NFQUEUE hands them over, with the caller's time), a verdict
 * out for each, with the inspection units the packet completed and what each inspector found.
 * Pure: no I/O, no clock, no timers; the runtime owns the queue and the kernel rules.
 *
 * - A blocked flow stays blocked: its later packets are dropped without inspection.
 * - A flow no inspector wants more of is handed back (`handBack: true` once): the runtime marks
 *   it so that the kernel stops queueing it; packets still in flight are accepted uninspected.
 * - In `tap` mode nothing is enforced: blocks become detect-only findings (`enforced: false`).
 */
import { emptyStats, type TrafficEngineStats } from './engine-stats.js';
import { Flow } from './flow.js';
import { FlowTable, flowKey } from './flow-table.js';
import type {
  FlowDirection,
  FlowEndpoints,
  InspectionDecision,
  InspectionUnit,
  PortSelection,
  TrafficInspector,
} from './inspection-contract.js';
import { DEFAULT_TRAFFIC_LIMITS, type TrafficLimits } from './limits.js';
import { type DecodedPacket, decodePacket, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from './packet-decoder.js';
import { unitsForPacket } from './unit-builder.js';

export type TrafficMode = 'inline' | 'tap';
export type PacketVerdictDecision = 'accept' | 'drop' | 'reset';

export interface InspectorFindings<Finding> {
  readonly inspectorId: string;
  readonly findings: readonly Finding[];
  /** This inspector asked to block on this packet. */
  readonly blocked: boolean;
}

export interface PushResult<Finding> {
  /** `reset` = drop this packet and reset the connection towards the client (TCP). */
  readonly verdict: PacketVerdictDecision;
  /** An HTTP response to send the client instead of a bare reset (from the blocking inspector). */
  readonly respond?: Extract<InspectionDecision, { action: 'block' }>['respond'];
  readonly units: readonly InspectionUnit[];
  readonly findings: readonly InspectorFindings<Finding>[];
  /** First time this flow is handed back: mark it so the kernel stops queueing it. */
  readonly handBack?: boolean;
  /**
   * First time no inspector wants the server's packets of this flow (the client's still are):
   * mark it so that the kernel stops queueing the flow's reply direction.
   */
  readonly handBackReplies?: boolean;
  /** False when a block was not enforced (tap mode). Absent when nothing was blocked. */
  readonly enforced?: boolean;
  readonly packet?: DecodedPacket;
  readonly flowId?: number;
  readonly direction?: FlowDirection;
  readonly flow?: FlowEndpoints;
}

export interface TrafficEngineOptions<Finding> {
  readonly inspectors: readonly TrafficInspector<Finding>[];
  readonly mode?: TrafficMode;
  readonly limits?: Partial<TrafficLimits>;
}

/** Flows looked at per packet for idle expiry (the rest wait for a later packet or expire()). */
const EXPIRY_BUDGET_PER_PACKET = 8;

export class TrafficEngine<Finding = unknown> {
  #inspectors: readonly TrafficInspector<Finding>[];
  #mode: TrafficMode;
  readonly #limits: TrafficLimits;
  readonly #flows = new FlowTable<Flow>((f) => {
    this.#stats.bufferedBytes -= f.bufferedBytes;
    f.bufferedBytes = 0;
  });
  readonly #stats: TrafficEngineStats;
  #nextFlowId = 1;
  /** Bumped when the inspectors change, so flows recompute which of them cover their port. */
  #generation = 1;

  constructor(options: TrafficEngineOptions<Finding>) {
    this.#inspectors = [...options.inspectors];
    this.#mode = options.mode ?? 'inline';
    this.#limits = { ...DEFAULT_TRAFFIC_LIMITS, ...options.limits };
    this.#stats = emptyStats(this.#limits);
  }

  get mode(): TrafficMode {
    return this.#mode;
  }

  setMode(mode: TrafficMode): void {
    this.#mode = mode;
  }

  /** Replaces the inspectors; flows keep the state of inspectors that stay (same id). */
  setInspectors(inspectors: readonly TrafficInspector<Finding>[]): void {
    this.#inspectors = [...inspectors];
    this.#generation++;
    const ids = new Set(inspectors.map((i) => i.id));
    for (const flow of this.#flows.values()) {
      for (const id of flow.inspectorStates.keys()) if (!ids.has(id)) flow.inspectorStates.delete(id);
    }
  }

  get inspectors(): readonly TrafficInspector<Finding>[] {
    return this.#inspectors;
  }

  stats(): TrafficEngineStats {
    return {
      ...this.#stats,
      flowsActive: this.#flows.size,
      undecodableReasons: { ...this.#stats.undecodableReasons },
      httpParserStops: { ...this.#stats.httpParserStops },
    };
  }

  /** Forgets idle flows; the runtime calls it now and then with its clock. Returns how many went. */
  expire(timeMs: number): number {
    const n = this.#flows.expire(timeMs, Number.POSITIVE_INFINITY);
    this.#stats.flowsExpired += n;
    return n;
  }

  push(bytes: Uint8Array, timeMs: number): PushResult<Finding> {
    this.#stats.packets++;
    const decoded = decodePacket(bytes);
    if (!decoded.ok) {
      this.#stats.undecodable++;
      const reasons = this.#stats.undecodableReasons;
      reasons[decoded.reason] = (reasons[decoded.reason] ?? 0) + 1;
      return { verdict: 'accept', units: [], findings: [] };
    }
    const packet = decoded.packet;
    if (packet.missingBytes > 0) this.#stats.truncatedPackets++;
    this.#stats.flowsExpired += this.#flows.expire(timeMs, EXPIRY_BUDGET_PER_PACKET);

    const key = flowKey(packet);
    const flow = this.#flows.get(key) ?? this.#newFlow(key, packet, timeMs);
    this.#flows.touch(key, flow, timeMs);
    const direction: FlowDirection =
      packet.sourceAddress === flow.endpoints.clientAddress && packet.sourcePort === flow.endpoints.clientPort
        ? 'to_server'
        : 'to_client';
    const base = { packet, flowId: flow.id, direction, flow: flow.endpoints };
    if (flow.blocked) return { ...base, verdict: 'drop', units: [], findings: [] };
    if (flow.handedBack) return { ...base, verdict: 'accept', units: [], findings: [] };

    if (packet.tcp) this.#trackTcp(flow, packet, direction);
    if (flow.inspectorsGeneration !== this.#generation) {
      flow.inspectors = this.#inspectors.filter((i) => covers(i.ports, flow.endpoints));
      flow.inspectorsGeneration = this.#generation;
    }
    const inspectors = flow.inspectors as readonly TrafficInspector<Finding>[];
    if (flow.application === undefined) flow.application = parserHint(inspectors, flow.endpoints);
    const units = unitsForPacket(flow, packet, direction, timeMs, this.#stats, this.#limits);
    this.#stats.units += units.length;

    const findings: InspectorFindings<Finding>[] = [];
    let block: Extract<InspectionDecision, { action: 'block' }> | undefined;
    for (const inspector of inspectors) {
      let state = flow.inspectorStates.get(inspector.id);
      if (state === undefined && !flow.inspectorStates.has(inspector.id)) {
        state = inspector.newFlowState();
        flow.inspectorStates.set(inspector.id, state);
      }
      const found: Finding[] = [];
      let blocked = false;
      for (const unit of units) {
        try {
          const result = inspector.inspect(unit, state);
          found.push(...result.findings);
          if (result.decision.action === 'block') {
            blocked = true;
            block ??= result.decision;
          }
        } catch {
          this.#stats.inspectorErrors++;
        }
      }
      if (found.length > 0 || blocked) findings.push({ inspectorId: inspector.id, findings: found, blocked });
    }

    this.#account(flow, key);
    if (block) {
      if (this.#mode === 'tap') {
        this.#stats.detectOnlyBlocks++;
        return { ...base, verdict: 'accept', units, findings, enforced: false };
      }
      flow.blocked = true;
      this.#stats.flowsBlocked++;
      return {
        ...base,
        verdict: packet.protocol === 'tcp' ? 'reset' : 'drop',
        ...(block.respond ? { respond: block.respond } : {}),
        units,
        findings,
        enforced: true,
      };
    }
    const handBack = this.#wantsNoMore(flow, inspectors);
    if (handBack) {
      flow.handedBack = true;
      flow.release();
      this.#stats.flowsHandedBack++;
      this.#account(flow, key);
      return { ...base, verdict: 'accept', units, findings, handBack };
    }
    // The reply direction alone, only when the client is known for sure (the SYN was seen, so
    // the server's packets are conntrack's REPLY direction), the handshake is complete (its
    // SYN-ACK was seen: it establishes the flow) and on a client's packet.
    if (
      !flow.repliesHandedBack &&
      flow.synSeen &&
      flow.established &&
      direction === 'to_server' &&
      this.#wantsNoReplies(flow, inspectors)
    ) {
      flow.repliesHandedBack = true;
      this.#stats.flowsRepliesHandedBack++;
      return { ...base, verdict: 'accept', units, findings, handBackReplies: true };
    }
    return { ...base, verdict: 'accept', units, findings };
  }

  #newFlow(key: string, p: DecodedPacket, timeMs: number): Flow {
    while (this.#flows.size >= this.#limits.maxFlows && this.#flows.evictOldest()) this.#stats.flowsEvictedForCount++;
    // The client is who sent the SYN; otherwise (mid-stream, UDP) the side whose port is not an
    // inspected server port, and failing that the sender of the first packet seen.
    const synAck = p.tcp !== undefined && (p.tcp.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
    const sourceIsServer =
      synAck ||
      (p.tcp?.flags !== undefined && (p.tcp.flags & TCP_SYN) !== 0
        ? false
        : this.#isServerPort(p.sourcePort, p.protocol) && !this.#isServerPort(p.destinationPort, p.protocol));
    const endpoints: FlowEndpoints = sourceIsServer
      ? {
          protocol: p.protocol,
          clientAddress: p.destinationAddress,
          clientPort: p.destinationPort,
          serverAddress: p.sourceAddress,
          serverPort: p.sourcePort,
        }
      : {
          protocol: p.protocol,
          clientAddress: p.sourceAddress,
          clientPort: p.sourcePort,
          serverAddress: p.destinationAddress,
          serverPort: p.destinationPort,
        };
    const flow = new Flow(this.#nextFlowId++, endpoints, this.#limits, timeMs, this.#stats);
    this.#flows.add(key, flow);
    this.#stats.flowsCreated++;
    return flow;
  }

  #isServerPort(port: number, protocol: 'tcp' | 'udp'): boolean {
    return this.#inspectors.some((i) => i.ports.some((s) => s.protocol === protocol && s.ports.includes(port)));
  }

  #trackTcp(flow: Flow, p: DecodedPacket, direction: FlowDirection): void {
    const tcp = p.tcp;
    if (!tcp) return;
    const side = flow.side(direction);
    if ((tcp.flags & TCP_SYN) !== 0) {
      side.reassembler.start((tcp.seq + 1) >>> 0);
      if (direction === 'to_server') flow.synSeen = true;
      else if ((tcp.flags & TCP_ACK) !== 0) flow.synAckSeen = true;
    } else if (!flow.established) {
      // The handshake's last ACK, or a flow picked up mid-stream (engine restarted, flow evicted).
      if (flow.synAckSeen || !flow.synSeen) flow.established = true;
    }
    if ((tcp.flags & TCP_RST) !== 0) flow.closed = true;
    if ((tcp.flags & TCP_FIN) !== 0) {
      side.finSeen = true;
      // With the replies handed back the server's FIN is never seen: the client's closes the flow.
      if ((flow.toServer.finSeen && flow.toClient.finSeen) || flow.repliesHandedBack) flow.closed = true;
    }
  }

  #wantsNoReplies(flow: Flow, inspectors: readonly TrafficInspector<Finding>[]): boolean {
    for (const inspector of inspectors) {
      try {
        if (inspector.wantsMore(flow.inspectorStates.get(inspector.id), 'to_client', flow)) return false;
      } catch {
        this.#stats.inspectorErrors++;
        return false;
      }
    }
    return true;
  }

  #wantsNoMore(flow: Flow, inspectors: readonly TrafficInspector<Finding>[]): boolean {
    for (const inspector of inspectors) {
      const state = flow.inspectorStates.get(inspector.id);
      try {
        if (inspector.wantsMore(state, 'to_server', flow) || inspector.wantsMore(state, 'to_client', flow))
          return false;
      } catch {
        this.#stats.inspectorErrors++;
        return false;
      }
    }
    return true;
  }

  /** Keeps the total of buffered bytes and evicts the least active flows beyond the bound. */
  #account(flow: Flow, key: string): void {
    const now = flow.measureBufferedBytes();
    this.#stats.bufferedBytes += now - flow.bufferedBytes;
    flow.bufferedBytes = now;
    while (this.#stats.bufferedBytes > this.#limits.maxBufferedBytes && this.#flows.evictOldest(key))
      this.#stats.flowsEvictedForMemory++;
  }
}

function covers(ports: readonly PortSelection[], flow: FlowEndpoints): boolean {
  return ports.some((s) => s.protocol === flow.protocol && (s.ports.length === 0 || s.ports.includes(flow.serverPort)));
}

function parserHint(inspectors: readonly TrafficInspector<unknown>[], flow: FlowEndpoints): Flow['application'] {
  for (const i of inspectors) {
    for (const s of i.ports) {
      if (s.parser && s.protocol === flow.protocol && (s.ports.length === 0 || s.ports.includes(flow.serverPort)))
        return s.parser;
    }
  }
  return undefined;
}
