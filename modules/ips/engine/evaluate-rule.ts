/**
 * One Suricata rule against one inspection unit, in full: transport and header (addresses and
 * ports in the unit's direction, or either way for `<>`), flow, dsize, urilen, flowbits, then
 * every buffer's chain. Flowbits are set only when all the rest matched, as in Suricata.
 */
import type { InspectionUnit } from '@bulwark/traffic/engine';
import { type MatchSpan, matchChain, type Subject } from './buffer-match.js';
import type { PendingRequest } from './ips-inspector.js';
import { type BufferName, DERIVED_HEADERS, type DerivedBufferName, isRequestOnly } from './suricata-buffers.js';
import { matchAddress, matchPort, parseAddress } from './suricata-header.js';
import type { SuricataRule } from './suricata-rule.js';
import { asciiLower, testNumber } from './suricata-text.js';
import { applyTransforms, type Transform } from './suricata-transforms.js';

/** A unit's buffers as text, made once per unit and only when a rule asks. */
export interface UnitView {
  subject(buffer: BufferName): Subject | undefined;
  readonly source: string;
  readonly destination: string;
  address(which: 'client' | 'server'): { v6: boolean; bits: bigint } | undefined;
  transformed(buffer: BufferName, transforms: readonly Transform[], plain: Subject): Subject;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function headerValue(headers: readonly (readonly [string, string])[] | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const values = headers.filter(([n]) => n === name).map(([, v]) => v);
  return values.length === 0 ? undefined : values.join(', ');
}

export function viewOf(unit: InspectionUnit, paired: PendingRequest | undefined): UnitView {
  const cache = new Map<BufferName, Subject | null>();
  const transformedCache = new Map<string, Subject>();
  const addresses = new Map<string, { v6: boolean; bits: bigint } | undefined>();
  const ownHeaders = unit.kind === 'http-request' || unit.kind === 'http-response' ? unit.http.headers : undefined;
  const toServer = unit.direction === 'to_server';
  const text = (buffer: BufferName): string | undefined => {
    if (buffer === 'payload') {
      const bytes = unit.buffers.stream ?? unit.buffers.packet;
      return bytes === undefined ? undefined : latin1(bytes);
    }
    const fromRequest = unit.kind === 'http-response' && isRequestOnly(buffer);
    if (fromRequest && paired === undefined) return undefined;
    if (buffer in DERIVED_HEADERS) {
      const name = DERIVED_HEADERS[buffer as DerivedBufferName];
      return headerValue(fromRequest ? paired?.headers : ownHeaders, name);
    }
    const bytes = (fromRequest ? paired?.buffers : unit.buffers)?.[buffer as keyof typeof unit.buffers];
    return bytes === undefined ? undefined : latin1(bytes);
  };
  return {
    source: toServer ? unit.flow.clientAddress : unit.flow.serverAddress,
    destination: toServer ? unit.flow.serverAddress : unit.flow.clientAddress,
    subject(buffer) {
      let s = cache.get(buffer);
      if (s === undefined) {
        const t = text(buffer);
        s = t === undefined ? null : { text: t, lower: asciiLower(t) };
        cache.set(buffer, s);
      }
      return s ?? undefined;
    },
    transformed(buffer, transforms, plain) {
      const key = `${buffer}|${transforms.join(',')}`;
      let s = transformedCache.get(key);
      if (s === undefined) {
        const t = applyTransforms(plain.text, transforms);
        s = { text: t, lower: asciiLower(t) };
        transformedCache.set(key, s);
      }
      return s;
    },
    address(which) {
      if (!addresses.has(which)) {
        addresses.set(which, parseAddress(which === 'client' ? unit.flow.clientAddress : unit.flow.serverAddress));
      }
      return addresses.get(which);
    },
  };
}

export interface RuleOutcome {
  readonly matched: boolean;
  readonly exhausted: boolean;
  readonly buffer?: BufferName;
  readonly span?: MatchSpan;
}

const NO: RuleOutcome = { matched: false, exhausted: false };

function headerMatches(
  rule: SuricataRule,
  unit: Pick<InspectionUnit, 'flow' | 'direction'>,
  view: Pick<UnitView, 'address'>,
  reversed: boolean,
): boolean {
  const clientIsSource = (unit.direction === 'to_server') !== reversed;
  const src = view.address(clientIsSource ? 'client' : 'server');
  const dst = view.address(clientIsSource ? 'server' : 'client');
  const sport = clientIsSource ? unit.flow.clientPort : unit.flow.serverPort;
  const dport = clientIsSource ? unit.flow.serverPort : unit.flow.clientPort;
  return (
    matchPort(rule.sourcePorts, sport) &&
    matchPort(rule.destinationPorts, dport) &&
    matchAddress(rule.source, src) &&
    matchAddress(rule.destination, dst)
  );
}

/**
 * The part of a rule that depends only on the flow and the unit's direction (transport, flow
 * direction, addresses, ports): the same for every unit of one direction of a flow, so the
 * inspector keeps its answer per flow instead of matching address lists on every packet.
 */
export function flowMatches(
  rule: SuricataRule,
  transport: 'tcp' | 'udp' | 'any',
  unit: Pick<InspectionUnit, 'flow' | 'direction'>,
  view: Pick<UnitView, 'address'>,
): boolean {
  if (transport !== 'any' && unit.flow.protocol !== transport) return false;
  const direction = rule.options.direction;
  if (direction !== undefined && unit.direction !== direction) return false;
  return headerMatches(rule, unit, view, false) || (rule.bidirectional && headerMatches(rule, unit, view, true));
}

/** `flowMatched`: the caller's remembered `flowMatches` for this unit's flow and direction. */
export function evaluateSuricata(
  rule: SuricataRule,
  transport: 'tcp' | 'udp' | 'any',
  unit: InspectionUnit,
  view: UnitView,
  flowbits: Set<string>,
  flowMatched?: boolean,
): RuleOutcome {
  if (!(flowMatched ?? flowMatches(rule, transport, unit, view))) return NO;
  const o = rule.options;
  if (o.established !== undefined && unit.established !== o.established) return NO;
  if (o.dsize !== undefined) {
    const payload = unit.buffers.packet ?? unit.buffers.stream;
    if (payload === undefined || !testNumber(o.dsize, payload.length)) return NO;
  }
  if (o.urilen !== undefined) {
    const uri = view.subject(o.urilen.raw ? 'http.uri.raw' : 'http.uri');
    if (uri === undefined || !testNumber(o.urilen.test, uri.text.length)) return NO;
  }
  for (const f of o.flowbits) {
    if (f.op !== 'isset' && f.op !== 'isnotset') continue;
    const set = f.any ? f.names.some((n) => flowbits.has(n)) : f.names.every((n) => flowbits.has(n));
    const unset = f.any ? f.names.some((n) => !flowbits.has(n)) : f.names.every((n) => !flowbits.has(n));
    if (f.op === 'isset' ? !set : !unset) return NO;
  }
  let exhausted = false;
  let evidence: { buffer: BufferName; span: MatchSpan } | undefined;
  for (const list of o.buffers) {
    const plain = view.subject(list.buffer);
    if (plain === undefined) return NO;
    const subject = list.transforms.length === 0 ? plain : view.transformed(list.buffer, list.transforms, plain);
    const outcome = matchChain(list.conditions, subject);
    exhausted ||= outcome.exhausted;
    if (!outcome.matched) return { matched: false, exhausted };
    if (evidence === undefined && outcome.span !== undefined) evidence = { buffer: list.buffer, span: outcome.span };
  }
  for (const f of o.flowbits) {
    for (const n of f.names) {
      if (f.op === 'set') flowbits.add(n);
      else if (f.op === 'unset') flowbits.delete(n);
      else if (f.op === 'toggle') {
        if (flowbits.has(n)) flowbits.delete(n);
        else flowbits.add(n);
      }
    }
  }
  return { matched: true, exhausted, ...(evidence !== undefined ? evidence : {}) };
}
