import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SEVERITIES } from '@bulwark/protocol';
import fc from 'fast-check';
import { managerModules } from '../modules/registry.js';
import { formatCef } from './cef-format.js';
import { eventMessage, FORWARDING_FORMATS } from './event-message.js';
import type { ForwardedEvent } from './forwarded-event.js';
import { formatLeef } from './leef-format.js';
import { siemFieldSource } from './siem-field-source.js';

/** Each module's own SIEM fields, as the manager wires them. */
const fieldsOf = siemFieldSource(managerModules);

import { clipUtf8, octetCountedFrame, priority } from './syslog-message.js';

const identity = { vendor: 'Bulwark', product: 'Bulwark', version: '0.1.0' };

/** Reads an octet-counted stream back into messages; throws on a malformed frame. */
export function readFrames(stream: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < stream.length) {
    const space = stream.indexOf(0x20, at);
    assert.ok(space > at, 'frame has a length');
    const length = Number(stream.subarray(at, space).toString('ascii'));
    assert.ok(Number.isSafeInteger(length) && length > 0, 'length is a positive integer');
    out.push(stream.subarray(space + 1, space + 1 + length).toString('utf8'));
    at = space + 1 + length;
    assert.ok(at <= stream.length, 'frame is complete');
  }
  return out;
}

/** CEF extension → pairs: a key is the word before an unescaped `=`. */
export function parseCefExtension(extension: string): Map<string, string> {
  const pairs = new Map<string, string>();
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const starts: { key: string; from: number; valueFrom: number }[] = [];
  for (let match = keyAt.exec(extension); match !== null; match = keyAt.exec(extension)) {
    let backslashes = 0;
    for (let i = match.index + match[0].length - 2; i >= 0 && extension[i] === '\\'; i--) backslashes++;
    if (backslashes % 2 === 1) continue;
    starts.push({ key: match[1] ?? '', from: match.index, valueFrom: match.index + match[0].length });
  }
  starts.forEach((start, index) => {
    const end = starts[index + 1]?.from ?? extension.length;
    const raw = extension.slice(start.valueFrom, end);
    pairs.set(
      start.key,
      raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c)),
    );
  });
  return pairs;
}

/** Splits a CEF line into its seven header fields and the extension. */
export function splitCef(line: string): { header: string[]; extension: string } {
  const header: string[] = [];
  let current = '';
  let i = 0;
  for (; i < line.length && header.length < 7; i++) {
    const char = line[i];
    if (char === '\\' && i + 1 < line.length) {
      current += line[i + 1];
      i++;
    } else if (char === '|') {
      header.push(current);
      current = '';
    } else current += char;
  }
  return { header, extension: line.slice(i) };
}

const garbage = fc.string({ unit: 'binary', maxLength: 300 });
const anyDetails = fc.option(fc.dictionary(garbage, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), { nil: null });

const eventArbitrary: fc.Arbitrary<ForwardedEvent> = fc.record({
  id: fc.uuid(),
  computerId: fc.uuid(),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  time: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  receivedAt: fc.constant('2026-01-01T00:00:00.000Z'),
  agentTime: fc.constant('2026-01-01T00:00:00.000Z'),
  module: fc.oneof(fc.constantFrom('firewall', 'integrity', 'loginspect', 'inventory', 'agent'), garbage),
  type: garbage,
  severity: fc.constantFrom(...SEVERITIES),
  ruleId: fc.option(garbage, { nil: null }),
  action: fc.option(garbage, { nil: null }),
  summary: garbage,
  details: anyDetails,
  computer: fc.record({
    hostname: fc.option(garbage, { nil: null }),
    name: fc.option(garbage, { nil: null }),
    policyId: fc.constant(null),
  }),
});

describe('forwarded event messages', () => {
  test('any event in any format is one RFC 5424 line in one intact octet-counted frame', () => {
    fc.assert(
      fc.property(eventArbitrary, fc.constantFrom(...FORWARDING_FORMATS), (event, format) => {
        const message = eventMessage(event, format, identity, fieldsOf);
        assert.ok(!/[\r\n]/.test(message), 'no line break inside a message');
        const header = /^<(\d{1,3})>1 (\S+) (\S{1,255}) bulwark - (\S{1,32}) - /.exec(message);
        assert.ok(header, `RFC 5424 header: ${message.slice(0, 120)}`);
        assert.equal(Number(header[1]), priority(event.severity));
        assert.equal(header[2], event.time);
        for (const token of [header[3], header[4]]) assert.ok(/^[\x21-\x7e]+$/.test(token ?? ''));
        const frames = readFrames(Buffer.concat([octetCountedFrame(message), octetCountedFrame(message)]));
        assert.deepEqual(frames, [message, message]);
      }),
      { numRuns: 300 },
    );
  });

  test('CEF: header and extension survive escaping (summary, rule, details round-trip)', () => {
    fc.assert(
      fc.property(eventArbitrary, (event) => {
        const { header, extension } = splitCef(formatCef(event, identity, fieldsOf(event)));
        assert.equal(header.length, 7);
        assert.equal(header[0], 'CEF:0');
        assert.equal(header[4], `${event.module}:${event.type}`.slice(0, 1023).replace(/[\r\n]+/g, ' '));
        const pairs = parseCefExtension(extension);
        assert.equal(pairs.get('msg'), event.summary);
        assert.equal(pairs.get('externalId'), event.id);
        assert.equal(pairs.get('cs1'), event.ruleId ?? undefined);
        assert.equal(pairs.get('act'), event.action ?? undefined);
        if (event.details !== null) assert.equal(pairs.get('cs6'), JSON.stringify(event.details));
      }),
      { numRuns: 300 },
    );
  });

  test('LEEF 2.0: tab-delimited attributes, values unescape to the originals', () => {
    fc.assert(
      fc.property(eventArbitrary, (event) => {
        const line = formatLeef(event, identity, fieldsOf(event));
        assert.ok(line.startsWith('LEEF:2.0|Bulwark|Bulwark|0.1.0|'));
        const body = line.slice(line.indexOf('|x09|') + 5);
        const attributes = new Map(
          body.split('\t').map((pair) => {
            const eq = pair.indexOf('=');
            const value = pair
              .slice(eq + 1)
              .replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
            return [pair.slice(0, eq), value] as const;
          }),
        );
        assert.equal(attributes.get('summary'), event.summary);
        assert.equal(attributes.get('eventId'), event.id);
        if (event.details !== null) assert.equal(attributes.get('details'), JSON.stringify(event.details));
      }),
      { numRuns: 300 },
    );
  });

  test('a firewall packet event maps to CEF src/dst/spt/dpt and LEEF srcPort/dstPort', () => {
    const event: ForwardedEvent = {
      id: '0190a0a0-0000-7000-8000-000000000001',
      computerId: '0190a0a0-0000-7000-8000-000000000002',
      seq: 7,
      time: '2026-03-01T10:00:00.000Z',
      receivedAt: '2026-03-01T10:00:01.000Z',
      agentTime: '2026-03-01T10:00:01.000Z',
      module: 'firewall',
      type: 'packet',
      severity: 'low',
      ruleId: 'r1',
      action: 'Deny',
      summary: 'Deny: tcp 10.0.0.1:5555 -> 10.0.0.2:22 inbound',
      details: {
        source: '10.0.0.1',
        destination: '10.0.0.2',
        sourcePort: 5555,
        destinationPort: 22,
        protocol: 'tcp',
        direction: 'inbound',
        interface: 'eth0',
        repeatCount: 3,
        bytes: 180,
        rule: 'ssh|deny',
      },
      computer: { hostname: 'web-1', name: 'Web 1', policyId: null },
    };
    const pairs = parseCefExtension(splitCef(formatCef(event, identity, fieldsOf(event))).extension);
    assert.equal(pairs.get('src'), '10.0.0.1');
    assert.equal(pairs.get('dpt'), '22');
    assert.equal(pairs.get('deviceDirection'), '0');
    assert.equal(pairs.get('deviceInboundInterface'), 'eth0');
    assert.equal(pairs.get('cnt'), '3');
    assert.equal(pairs.get('cs4Label'), 'ruleName');
    assert.equal(pairs.get('cs4'), 'ssh|deny');
    assert.equal(pairs.get('rt'), String(Date.parse(event.time)));
    const leef = formatLeef(event, identity, fieldsOf(event));
    assert.match(leef, /\tsrcPort=5555\t/);
    assert.match(leef, /\tdstPort=22\t/);
  });

  test('clipUtf8 never splits a character and respects the byte bound', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 0, max: 400 }), (text, max) => {
        const clipped = clipUtf8(text, max);
        assert.ok(Buffer.byteLength(clipped) <= Math.max(max, 0));
        assert.ok(text.startsWith(clipped));
      }),
    );
  });
});
