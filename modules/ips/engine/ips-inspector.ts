/**
 * `createIpsInspector`: runs a compiled rule set on inspection units. Per unit: one prefilter
 * scan per buffer present, then full evaluation of the rules whose literal was found plus the
 * few without a literal; each matching rule is a finding, and a finding in prevent mode blocks.
 *
 * Flow state (per flow, kept by the traffic engine): flowbits, the requests waiting for their
 * responses (a response-side rule reads the request it answers; HTTP/1.1 answers in order),
 * whether the flow was counted by rate rules and whether it was blocked. State across flows
 * (rates, thresholds) lives in bounded tables inside this inspector instance: see native-checks.
 */
import type {
  FlowDirection,
  FlowProgress,
  InspectionBufferName,
  InspectionBuffers,
  InspectionResult,
  InspectionUnit,
  PortSelection,
  TrafficInspector,
} from '@bulwark/traffic/engine';
import type { ChainOutcome, Subject } from './buffer-match.js';
import type { CompiledRule, RuleScope } from './compiled-rule.js';
import { evaluateSuricata, flowMatches, type UnitView, viewOf } from './evaluate-rule.js';
import { RuleReach, type ScopesReached } from './flow-reach.js';
import { ruleSetInternals } from './ips-compile.js';
import type { CompiledIpsRuleSet, IpsFinding, IpsMode } from './ips-engine-contract.js';
import { checkHttpLimits, RateTracker, ThresholdTracker } from './native-checks.js';
import type { BufferName } from './suricata-buffers.js';

/** Requests kept per flow for their responses; more pipelined than this are not paired (counted). */
export const MAX_PENDING_REQUESTS = 16;

/**
 * Rules whose header (addresses, ports, direction) is remembered per flow; a flow that meets
 * more candidate rules than this matches the rest's headers on every unit.
 */
export const MAX_REMEMBERED_HEADERS_PER_FLOW = 4_096;

export interface PendingRequest {
  readonly buffers: InspectionBuffers;
  readonly headers: readonly (readonly [string, string])[];
}

export interface IpsFlowState {
  readonly flowbits: Set<string>;
  readonly pending: PendingRequest[];
  /** Per direction: the message in progress was seen at its `headers` stage. */
  readonly headersSeen: { to_server: boolean; to_client: boolean };
  /** The request the response in progress answers (kept from its headers to its body). */
  answering: PendingRequest | undefined;
  counted: boolean;
  blocked: boolean;
  /** Per rule and direction (`index * 2 + (to_client ? 1 : 0)`): does the rule's header admit this flow. */
  readonly headers: Map<number, boolean>;
  /** Per direction, the rule scopes whose headers admit this flow (decided at the first ask). */
  reach: { to_server?: ScopesReached; to_client?: ScopesReached };
}

export interface IpsInspectorCounters {
  /** Units inspected, and rules fully evaluated after the prefilter. */
  readonly units: number;
  readonly evaluations: number;
  /** Buffer chains given up after the step budget (counted as no match). */
  readonly budgetExhausted: number;
  /** Responses that found no request to pair with (request-side buffers then absent). */
  readonly unpairedResponses: number;
  /** Entries forgotten by the full rate and threshold tables. */
  readonly rateEvictions: number;
  readonly thresholdEvictions: number;
}

export interface IpsInspector extends TrafficInspector<IpsFinding, IpsFlowState> {
  counters(): IpsInspectorCounters;
}

const UNIT_SCOPES: Readonly<Record<InspectionUnit['kind'], readonly RuleScope[]>> = {
  'http-request': ['http-request', 'http-any'],
  'http-response': ['http-response', 'http-any'],
  'tls-client-hello': ['tls'],
  // The server's hello and certificate names: no IPS rule reads them (yet).
  'tls-server-hello': [],
  'dns-query': ['dns'],
  packet: ['payload'],
  stream: ['payload'],
};

/** What a finding names as the buffer: derived header buffers are parts of http.header. */
function reportedBuffer(b: BufferName, unit: InspectionUnit): InspectionBufferName {
  if (b === 'payload') return unit.buffers.stream !== undefined ? 'stream' : 'packet';
  if (b.startsWith('http.') && !(b in unit.buffers) && b !== 'http.uri' && b !== 'http.method') {
    const known: readonly string[] = [
      'http.referer',
      'http.accept',
      'http.accept_enc',
      'http.accept_lang',
      'http.connection',
      'http.location',
      'http.server',
    ];
    if (known.includes(b)) return 'http.header';
  }
  return b as InspectionBufferName;
}

function printable(text: string, span: { start: number; end: number } | undefined): string {
  const from = span === undefined ? 0 : Math.max(0, span.start - 48);
  const to = span === undefined ? 200 : Math.min(text.length, span.end + 48);
  let out = '';
  for (let i = from; i < to && out.length < 256; i++) {
    const c = text.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f ? text[i] : `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out.slice(0, 256);
}

export function createIpsInspector(ruleSet: CompiledIpsRuleSet, moduleMode: IpsMode): IpsInspector {
  const set = ruleSetInternals(ruleSet);
  const rates = new RateTracker();
  const thresholds = new ThresholdTracker();
  const counters = { units: 0, evaluations: 0, budgetExhausted: 0, unpairedResponses: 0 };
  const mark = new Uint32Array(set.rules.length);
  let generation = 0;

  const wantsRate = set.rules.some((r) => r.scope === 'new-flow');
  const reach = new RuleReach(set.rules);

  const ports: PortSelection[] = set.applicationTypes.map((t) => ({ protocol: t.protocol, ports: [...t.ports] }));

  function finding(r: CompiledRule, unit: InspectionUnit, buffer: InspectionBufferName, evidence: string): IpsFinding {
    const mode = r.mode ?? moduleMode;
    const options = r.detection.kind === 'suricata' ? r.detection.rule.options : undefined;
    return {
      ruleId: r.rule.id,
      ruleName: r.rule.name,
      severity: r.rule.severity,
      action: mode === 'prevent' ? 'block' : 'detect',
      direction: unit.direction,
      buffer,
      evidence: evidence.slice(0, 256),
      ...(options?.msg !== undefined ? { message: options.msg } : {}),
      ...(options?.classtype !== undefined ? { classtype: options.classtype } : {}),
    };
  }

  function evaluate(
    r: CompiledRule,
    unit: InspectionUnit,
    view: UnitView,
    state: IpsFlowState,
  ): IpsFinding | undefined {
    counters.evaluations++;
    const d = r.detection;
    if (d.kind === 'http-limits') {
      if (unit.kind !== 'http-request') return undefined;
      const hit = checkHttpLimits(unit.http, d.limits);
      return hit === undefined ? undefined : finding(r, unit, hit.buffer, hit.evidence);
    }
    if (d.kind === 'http-anomaly') {
      if (unit.kind !== 'http-request') return undefined;
      const seen = unit.http.anomalies.filter((a) => d.anomalies.has(a));
      if (seen.length === 0) return undefined;
      return finding(r, unit, 'http.request_line', `protocol violation: ${seen.join(', ')}`);
    }
    if (d.kind === 'rate') {
      if (unit.flow.protocol !== r.rule.applicationType.protocol) return undefined;
      const p = r.rule.applicationType.ports;
      if (p.length > 0 && !p.includes(unit.flow.serverPort)) return undefined;
      if (!rates.record(r.index, unit.flow.clientAddress, unit.timeMs, d.rate)) return undefined;
      const evidence = `more than ${d.rate.count} new connections from ${unit.flow.clientAddress} to port ${unit.flow.serverPort} in ${d.rate.windowSeconds} s`;
      return finding(r, unit, unit.buffers.stream !== undefined ? 'stream' : 'packet', evidence);
    }
    const key = r.index * 2 + (unit.direction === 'to_server' ? 0 : 1);
    let header = state.headers.get(key);
    if (header === undefined) {
      header = flowMatches(d.rule, r.transport, unit, view);
      if (state.headers.size < MAX_REMEMBERED_HEADERS_PER_FLOW) state.headers.set(key, header);
    }
    const outcome = evaluateSuricata(d.rule, r.transport, unit, view, state.flowbits, header);
    if (outcome.exhausted) counters.budgetExhausted++;
    if (!outcome.matched) return undefined;
    const o = d.rule.options;
    if (o.noalert) return undefined;
    for (const t of o.thresholds) {
      const key =
        t.track === 'by_rule'
          ? ''
          : t.track === 'by_src'
            ? view.source
            : t.track === 'by_dst'
              ? view.destination
              : `${view.source}|${view.destination}`;
      if (!thresholds.record(r.index, t, key, unit.timeMs)) return undefined;
    }
    const buffer = outcome.buffer ?? (r.scope === 'payload' ? 'payload' : (o.buffers[0]?.buffer ?? 'payload'));
    const subject: Subject | undefined = view.subject(buffer);
    const evidence = subject === undefined ? (o.msg ?? '') : printable(subject.text, outcome.span);
    return finding(r, unit, reportedBuffer(buffer, unit), evidence);
  }

  return {
    id: 'ips',
    ports,
    newFlowState: (): IpsFlowState => ({
      flowbits: new Set(),
      pending: [],
      headersSeen: { to_server: false, to_client: false },
      answering: undefined,
      counted: false,
      blocked: false,
      headers: new Map(),
      reach: {},
    }),
    counters: () => ({
      ...counters,
      rateEvictions: rates.table.evicted,
      thresholdEvictions: thresholds.table.evicted,
    }),
    wantsMore(state: IpsFlowState, direction: FlowDirection, flow?: FlowProgress): boolean {
      if (state.blocked) return false;
      if (wantsRate && !state.counted) return true;
      if (flow?.application === undefined) return true;
      let scopes = state.reach[direction];
      if (scopes === undefined) {
        scopes = reach.scopesFor(flow.endpoints, direction);
        state.reach[direction] = scopes;
      }
      if (scopes.has('payload') && !flow.payloadDone()) return true;
      // What the application parser of this direction may still hand over.
      if (flow.parserDone(direction)) return false;
      if (flow.application === 'http')
        return scopes.has('http-request') || scopes.has('http-response') || scopes.has('http-any');
      if (flow.application === 'tls') return scopes.has('tls');
      if (flow.application === 'dns') return scopes.has('dns');
      return false;
    },
    inspect(unit: InspectionUnit, state: IpsFlowState): InspectionResult<IpsFinding> {
      counters.units++;
      // A message with a body comes twice (headers, then complete): the second look runs only
      // the rules that read a body, so no rule reports the same message twice.
      const stage = unit.kind === 'http-request' || unit.kind === 'http-response' ? unit.http.stage : undefined;
      const secondLook = stage === 'complete' && state.headersSeen[unit.direction];
      const firstLook = !secondLook;
      if (stage !== undefined) state.headersSeen[unit.direction] = stage === 'headers';
      let paired: PendingRequest | undefined;
      if (unit.kind === 'http-response') {
        if (firstLook) {
          state.answering = state.pending.shift();
          if (state.answering === undefined) counters.unpairedResponses++;
        }
        paired = state.answering;
      }
      const view = viewOf(unit, paired);
      const scopes = UNIT_SCOPES[unit.kind];
      const payload = unit.buffers.packet !== undefined || unit.buffers.stream !== undefined;
      generation = (generation + 1) >>> 0 || 1;
      const candidates: number[] = [];
      const add = (index: number): void => {
        if (mark[index] === generation) return;
        mark[index] = generation;
        const scope = (set.rules[index] as CompiledRule).scope;
        if (scopes.includes(scope) || (scope === 'payload' && payload)) candidates.push(index);
      };
      for (const [buffer, { matcher, rules }] of set.prefilters) {
        const subject = view.subject(buffer);
        if (subject === undefined) continue;
        matcher.scan(subject.lower, (id) => {
          for (const index of rules[id] as number[]) add(index);
        });
      }
      for (const scope of scopes) for (const index of set.alwaysRun.get(scope) ?? []) add(index);
      if (payload && !scopes.includes('payload')) for (const index of set.alwaysRun.get('payload') ?? []) add(index);
      if (!state.counted) {
        state.counted = true;
        for (const index of set.alwaysRun.get('new-flow') ?? []) candidates.push(index);
      }
      candidates.sort((a, b) => a - b);
      const findings: IpsFinding[] = [];
      for (const index of candidates) {
        const r = set.rules[index] as CompiledRule;
        if (secondLook ? !r.readsBody : r.detection.kind === 'http-anomaly' && stage === 'headers') continue;
        // A rule made of several Suricata-language parts reports once per unit.
        if (findings.length > 0 && findings.some((f) => f.ruleId === r.rule.id)) continue;
        const f = evaluate(r, unit, view, state);
        if (f !== undefined) findings.push(f);
      }
      if (unit.kind === 'http-request') {
        const request = { buffers: unit.buffers, headers: unit.http.headers };
        // The complete message replaces its headers-stage entry (it adds the body).
        if (secondLook && state.pending.length > 0) state.pending[state.pending.length - 1] = request;
        else if (state.pending.length < MAX_PENDING_REQUESTS) state.pending.push(request);
      }
      const block = findings.some((f) => f.action === 'block');
      if (block) state.blocked = true;
      return { decision: block ? { action: 'block' } : { action: 'pass' }, findings };
    },
  };
}

export type { ChainOutcome };
