import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildTcpSegment, TCP_ACK, TCP_SYN, TrafficEngine } from '@bulwark/traffic/engine';
import { compileIpsRules, createIpsInspector, type IpsFinding } from './index.js';
import { suricata } from './test-units.js';

const VARS = { HOME_NET: '[10.0.0.0/8]', EXTERNAL_NET: 'any', HTTP_PORTS: '[80,8080]' };
const CLIENT = '10.0.0.1';
const SERVER = '10.0.0.2';

function engineWith(rules: readonly string[], limits: { streamInspectionDepth?: number } = {}) {
  const { ruleSet, refused } = compileIpsRules(
    rules.map((r, i) => suricata(r, `sid:${i + 1}`)),
    { variables: VARS },
  );
  assert.deepEqual(refused, []);
  const inspector = createIpsInspector(ruleSet, 'prevent');
  return new TrafficEngine<IpsFinding>({ inspectors: [inspector], limits });
}

/** A client on port 40000 talking to the server's `port`; returns a sender per direction. */
function connection(engine: TrafficEngine<IpsFinding>, port: number) {
  let clientSeq = 100;
  let serverSeq = 5000;
  const segment = (toServer: boolean, flags: number, payload: string | Uint8Array) =>
    buildTcpSegment({
      sourceAddress: toServer ? CLIENT : SERVER,
      destinationAddress: toServer ? SERVER : CLIENT,
      sourcePort: toServer ? 40000 : port,
      destinationPort: toServer ? port : 40000,
      seq: toServer ? clientSeq : serverSeq,
      ack: toServer ? serverSeq : clientSeq,
      flags,
      payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload,
    }) as Uint8Array;
  engine.push(segment(true, TCP_SYN, ''), 0);
  clientSeq++;
  engine.push(segment(false, TCP_SYN | TCP_ACK, ''), 0);
  serverSeq++;
  engine.push(segment(true, TCP_ACK, ''), 0);
  const send = (toServer: boolean, payload: string | Uint8Array) => {
    const r = engine.push(segment(toServer, TCP_ACK, payload), 1);
    if (toServer) clientSeq += payload.length;
    else serverSeq += payload.length;
    return r;
  };
  return { toServer: (p: string | Uint8Array) => send(true, p), toClient: (p: string | Uint8Array) => send(false, p) };
}

const REQUEST_RULE =
  'alert http any any -> $HOME_NET $HTTP_PORTS (msg:"x"; flow:established,to_server; http.uri; content:"/attack"; sid:1;)';
const PAYLOAD_RULE = 'alert tcp any any -> any any (msg:"p"; content:"|de ad be ef|"; sid:2;)';

describe('hand-back: a flow is given back to the kernel once no loaded rule can match more of it', () => {
  it('only request-side HTTP rules: another protocol on an HTTP port is handed back at its first bytes', () => {
    const engine = engineWith([REQUEST_RULE]);
    const c = connection(engine, 8080);
    const r = c.toServer(new Uint8Array(1000).fill(7));
    assert.equal(r.handBack, true);
    assert.equal(engine.stats().flowsHandedBack, 1);
  });

  it('only request-side HTTP rules: the client side of an HTTP flow stays inspected for every request, attacks are still reset', () => {
    const engine = engineWith([REQUEST_RULE]);
    const c = connection(engine, 80);
    // No rule reads responses: the server's packets are handed back at the first request.
    assert.equal(c.toServer('GET / HTTP/1.1\r\nHost: a\r\n\r\n').handBackReplies, true);
    for (let i = 0; i < 3; i++) {
      assert.equal(c.toServer('GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n').handBack, undefined);
      assert.equal(c.toClient('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok').handBack, undefined);
    }
    assert.equal(c.toServer('GET /attack HTTP/1.1\r\nHost: a\r\n\r\n').verdict, 'reset');
  });

  it('rules that no header lets reach the flow (other ports) do not keep it', () => {
    const engine = engineWith([REQUEST_RULE, 'alert tcp any any -> any 21 (msg:"f"; content:"USER"; sid:3;)']);
    const c = connection(engine, 8080);
    assert.equal(c.toServer(new Uint8Array(100).fill(1)).handBack, true);
  });

  it('a response rule keeps the server side', () => {
    const response = 'alert http any any -> any any (msg:"r"; flow:to_client; http.stat_code; content:"500"; sid:4;)';
    const c = connection(engineWith([REQUEST_RULE, response]), 80);
    assert.equal(c.toServer('GET / HTTP/1.1\r\nHost: a\r\n\r\n').handBackReplies, undefined);
  });

  it('payload rules on any port: the flow is inspected up to the stream inspection depth, then handed back', () => {
    const engine = engineWith([REQUEST_RULE, PAYLOAD_RULE], { streamInspectionDepth: 4096 });
    const c = connection(engine, 8080);
    const chunk = new Uint8Array(1000).fill(7);
    const verdicts: (boolean | undefined)[] = [];
    for (let i = 0; i < 6; i++) verdicts.push(c.toServer(chunk).handBack);
    // 5 x 1,000 bytes pass the 4,096-byte depth: the fifth packet hands the flow back.
    assert.deepEqual(verdicts, [undefined, undefined, undefined, undefined, true, undefined]);
    // Within the depth the payload rule still resets.
    const other = connection(engineWith([PAYLOAD_RULE], { streamInspectionDepth: 4096 }), 8080);
    other.toServer(chunk);
    assert.equal(other.toServer(Uint8Array.from([0xde, 0xad, 0xbe, 0xef])).verdict, 'reset');
  });

  it('past the depth payload rules no longer see the flow (counted)', () => {
    const { ruleSet } = compileIpsRules([suricata(PAYLOAD_RULE, 'sid:2')], { variables: VARS });
    // An inspector that always wants more keeps the flow queued: the depth alone decides.
    const ips = createIpsInspector(ruleSet, 'prevent');
    const keep = { ...ips, id: 'keep', wantsMore: () => true };
    const engine = new TrafficEngine<IpsFinding>({ inspectors: [keep], limits: { streamInspectionDepth: 2000 } });
    const c = connection(engine, 8080);
    c.toServer(new Uint8Array(2000).fill(1));
    const late = c.toServer(Uint8Array.from([0xde, 0xad, 0xbe, 0xef]));
    assert.equal(late.verdict, 'accept');
    assert.deepEqual(late.units, []);
    assert.equal(engine.stats().streamUninspectedBytes, 4);
  });
});
