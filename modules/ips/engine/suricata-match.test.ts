import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InspectionUnit } from '@bulwark/traffic/engine';
import { compileIpsRules, createIpsInspector } from './index.js';
import { dnsQuery, httpRequest, httpResponse, packet, suricata } from './test-units.js';

const VARS = { HOME_NET: '[10.0.0.0/8,192.168.0.0/16]', EXTERNAL_NET: '!$HOME_NET', HTTP_PORTS: '[80,8080]' };

/** Whether one rule matches a unit (fresh inspector and flow state). */
function matches(rule: string, unit: InspectionUnit): boolean {
  const { ruleSet, refused } = compileIpsRules([suricata(rule)], { variables: VARS });
  assert.deepEqual(refused, [], `the rule was refused: ${JSON.stringify(refused)}`);
  const inspector = createIpsInspector(ruleSet, 'prevent');
  return inspector.inspect(unit, inspector.newFlowState()).findings.length > 0;
}

function refusedAs(rule: string): string | undefined {
  return compileIpsRules([suricata(rule)], { variables: VARS }).refused[0]?.reasonClass;
}

describe('Suricata content modifiers', () => {
  const p = (s: string) => packet(s);
  it('content with nocase, depth and offset', () => {
    assert.equal(matches('alert tcp any any -> any any (content:"ABC"; sid:1;)', p('xxABCxx')), true);
    assert.equal(matches('alert tcp any any -> any any (content:"ABC"; sid:1;)', p('xxabcxx')), false);
    assert.equal(matches('alert tcp any any -> any any (content:"ABC"; nocase; sid:1;)', p('xxabcxx')), true);
    assert.equal(matches('alert tcp any any -> any any (content:"ABC"; depth:4; sid:1;)', p('xxABCxx')), false);
    assert.equal(matches('alert tcp any any -> any any (content:"ABC"; depth:5; sid:1;)', p('xxABCxx')), true);
    assert.equal(matches('alert tcp any any -> any any (content:"ABC"; offset:3; sid:1;)', p('xxABCxx')), false);
    assert.equal(
      matches('alert tcp any any -> any any (content:"ABC"; offset:2; depth:3; sid:1;)', p('xxABCxx')),
      true,
    );
  });
  it('distance and within are relative to the previous match, retried at later occurrences', () => {
    const rule = 'alert tcp any any -> any any (content:"A"; content:"B"; distance:1; within:2; sid:1;)';
    assert.equal(matches(rule, p('AB')), false);
    assert.equal(matches(rule, p('AxB')), true);
    assert.equal(matches(rule, p('AxxxB')), false);
    // The first A fails, the second succeeds: Suricata tries the next occurrence.
    assert.equal(matches(rule, p('AxxxxAxB')), true);
    assert.equal(
      matches('alert tcp any any -> any any (content:"B"; content:"A"; distance:-3; within:1; sid:1;)', p('xAxB')),
      true,
    );
  });
  it('hex, escapes, negation, startswith and endswith', () => {
    assert.equal(matches('alert tcp any any -> any any (content:"|41 42|C"; sid:1;)', p('zABC')), true);
    assert.equal(matches('alert tcp any any -> any any (content:"a\\;b\\"c"; sid:1;)', p('a;b"c')), true);
    assert.equal(
      matches('alert tcp any any -> any any (content:"GET"; content:!"admin"; sid:1;)', p('GET /index')),
      true,
    );
    assert.equal(
      matches('alert tcp any any -> any any (content:"GET"; content:!"admin"; sid:1;)', p('GET /admin')),
      false,
    );
    assert.equal(matches('alert tcp any any -> any any (content:"GET"; startswith; sid:1;)', p(' GET')), false);
    assert.equal(matches('alert tcp any any -> any any (content:"GET"; startswith; sid:1;)', p('GET /')), true);
    assert.equal(matches('alert tcp any any -> any any (content:".exe"; endswith; sid:1;)', p('a.exe.txt')), false);
    assert.equal(matches('alert tcp any any -> any any (content:".exe"; endswith; sid:1;)', p('a.exe.txt.exe')), true);
  });
  it('isdataat, bsize, dsize', () => {
    assert.equal(matches('alert tcp any any -> any any (content:"A"; isdataat:2,relative; sid:1;)', p('Axx')), true);
    assert.equal(matches('alert tcp any any -> any any (content:"A"; isdataat:2,relative; sid:1;)', p('Ax')), false);
    assert.equal(matches('alert tcp any any -> any any (content:"A"; isdataat:!1,relative; sid:1;)', p('xA')), true);
    assert.equal(matches('alert tcp any any -> any any (dsize:>3; sid:1;)', p('abcd')), true);
    assert.equal(matches('alert tcp any any -> any any (dsize:2<>4; sid:1;)', p('abcd')), false);
    assert.equal(
      matches('alert http any any -> any any (http.method; content:"GET"; bsize:3; sid:1;)', httpRequest()),
      true,
    );
    assert.equal(matches('alert http any any -> any any (http.method; bsize:<3; sid:1;)', httpRequest()), false);
  });
  it('pcre with Suricata flags: i, R, U, and the A anchor', () => {
    assert.equal(matches('alert tcp any any -> any any (pcre:"/a[0-9]+b/i"; sid:1;)', p('xA12B')), true);
    assert.equal(matches('alert tcp any any -> any any (content:"X"; pcre:"/^[0-9]/R"; sid:1;)', p('X1')), true);
    assert.equal(matches('alert tcp any any -> any any (content:"X"; pcre:"/^[0-9]/R"; sid:1;)', p('1X')), false);
    assert.equal(
      matches(
        'alert http any any -> any any (pcre:"/\\/admin\\.php$/U"; sid:1;)',
        httpRequest({ target: '/admin.php' }),
      ),
      true,
    );
    assert.equal(
      matches(
        'alert http any any -> any any (pcre:"/\\/admin\\.php$/U"; sid:1;)',
        httpRequest({ target: '/admin.php.bak' }),
      ),
      false,
    );
    assert.equal(matches('alert tcp any any -> any any (pcre:"/abc/A"; sid:1;)', p('xabc')), false);
    assert.equal(matches('alert tcp any any -> any any (pcre:!"/abc/"; sid:1;)', p('xab')), true);
  });
});

describe('Suricata HTTP buffers, legacy modifiers and other protocols', () => {
  it('sticky buffers and the older modifiers read the same parts', () => {
    const unit = httpRequest({
      target: '/a.php?id=1%27',
      headers: [
        ['host', 'shop.test'],
        ['user-agent', 'sqlmap/1.7'],
        ['cookie', 'sid=abc'],
      ],
    });
    for (const rule of [
      'alert http any any -> any any (http.uri; content:"id=1\'"; sid:1;)',
      'alert http any any -> any any (content:"id=1\'"; http_uri; sid:1;)',
      'alert http any any -> any any (http.uri.raw; content:"%27"; sid:1;)',
      'alert http any any -> any any (content:"%27"; http_raw_uri; sid:1;)',
      'alert http any any -> any any (http.user_agent; content:"sqlmap"; startswith; sid:1;)',
      'alert http any any -> any any (content:"sqlmap"; http_user_agent; sid:1;)',
      'alert http any any -> any any (http.host; content:"shop.test"; bsize:9; sid:1;)',
      'alert http any any -> any any (http.cookie; content:"sid="; sid:1;)',
      'alert http any any -> any any (content:"GET"; http_method; content:"/a.php"; http_uri; sid:1;)',
      'alert http any any -> any any (http.request_line; content:"GET /a.php"; startswith; sid:1;)',
      'alert http any any -> any any (http.header; content:"User-Agent|3a 20|sqlmap"; sid:1;)',
      'alert http any any -> any any (pcre:"/sqlmap/V"; sid:1;)',
    ]) {
      assert.equal(matches(rule, unit), true, rule);
    }
    assert.equal(matches('alert http any any -> any any (http.uri; content:"%27"; sid:1;)', unit), false);
    assert.equal(matches('alert http any any -> any any (http.cookie; content:"sqlmap"; sid:1;)', unit), false);
  });
  it('response rules read the response and the request it answers', () => {
    const { ruleSet } = compileIpsRules(
      [
        suricata(
          'alert http any any -> any any (flow:established,to_client; http.uri; content:"/download"; file_data; content:"MZ"; startswith; http.stat_code; content:"200"; sid:1;)',
        ),
      ],
      { variables: VARS },
    );
    const inspector = createIpsInspector(ruleSet, 'detect');
    const state = inspector.newFlowState();
    assert.equal(inspector.inspect(httpRequest({ target: '/download' }), state).findings.length, 0);
    const r = inspector.inspect(httpResponse(200, 'MZ\x90\x00'), state);
    assert.equal(r.findings.length, 1);
    assert.equal(r.findings[0]?.action, 'detect');
    assert.equal(r.decision.action, 'pass');
    const other = inspector.newFlowState();
    inspector.inspect(httpRequest({ target: '/other' }), other);
    assert.equal(inspector.inspect(httpResponse(200, 'MZ\x90\x00'), other).findings.length, 0);
  });
  it('dns.query with dotprefix, and tls/dns rules see only their units', () => {
    const rule = 'alert dns any any -> any any (dns.query; dotprefix; content:".evil.test"; endswith; sid:1;)';
    assert.equal(matches(rule, dnsQuery('a.evil.test')), true);
    assert.equal(matches(rule, dnsQuery('evil.test')), true);
    assert.equal(matches(rule, dnsQuery('notevil.test')), false);
    assert.equal(matches(rule, packet('x.evil.test')), false);
  });
});

describe('Suricata header, flow, flowbits and thresholds', () => {
  it('addresses, ports, variables, negation and direction', () => {
    const unit = httpRequest({ client: '203.0.113.9', server: '10.1.2.3', serverPort: 8080 });
    assert.equal(
      matches('alert http $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (http.method; content:"GET"; sid:1;)', unit),
      true,
    );
    assert.equal(
      matches('alert http $HOME_NET any -> $EXTERNAL_NET any (http.method; content:"GET"; sid:1;)', unit),
      false,
    );
    assert.equal(
      matches('alert http $HOME_NET any <> $EXTERNAL_NET any (http.method; content:"GET"; sid:1;)', unit),
      true,
    );
    assert.equal(
      matches('alert http any any -> 10.1.2.0/24 [1:1000,!80] (http.method; content:"GET"; sid:1;)', unit),
      false,
    );
    assert.equal(
      matches('alert http any any -> [10.1.2.0/24,!10.1.2.3] any (http.method; content:"GET"; sid:1;)', unit),
      false,
    );
    assert.equal(matches('alert http any any -> any 8000: (http.method; content:"GET"; sid:1;)', unit), true);
    assert.equal(matches('alert tcp any any -> any any (flow:to_client; content:"x"; sid:1;)', packet('x')), false);
    assert.equal(matches('alert udp any any -> any any (content:"x"; sid:1;)', packet('x')), false);
    assert.equal(matches('alert udp any any -> any any (content:"x"; sid:1;)', packet('x', { protocol: 'udp' })), true);
    assert.equal(refusedAs('alert http $NOPE any -> any any (content:"x"; sid:1;)'), 'undefined-variable');
  });
  it('flowbits carry state between units of one flow, and noalert stays silent', () => {
    const { ruleSet } = compileIpsRules(
      [
        suricata(
          'alert tcp any any -> any any (content:"LOGIN"; flowbits:set,logged; flowbits:noalert; sid:1;)',
          'sid:1',
        ),
        suricata('alert tcp any any -> any any (content:"RETR"; flowbits:isset,logged; sid:2;)', 'sid:2'),
      ],
      { variables: VARS },
    );
    const inspector = createIpsInspector(ruleSet, 'prevent');
    const flow = inspector.newFlowState();
    assert.deepEqual(inspector.inspect(packet('RETR x'), inspector.newFlowState()).findings, []);
    assert.deepEqual(inspector.inspect(packet('LOGIN me'), flow).findings, []);
    const r = inspector.inspect(packet('RETR x'), flow);
    assert.deepEqual(
      r.findings.map((f) => f.ruleId),
      ['sid:2'],
    );
    assert.equal(r.decision.action, 'block');
    assert.equal(inspector.wantsMore(flow, 'to_server'), false, 'a blocked flow needs no more inspection');
  });
  it('threshold limit and detection_filter count by source over the unit time', () => {
    const limit =
      'alert tcp any any -> any any (content:"x"; threshold:type limit,track by_src,count 2,seconds 60; sid:1;)';
    const filter =
      'alert tcp any any -> any any (content:"y"; detection_filter:track by_src,count 2,seconds 60; sid:2;)';
    const { ruleSet } = compileIpsRules([suricata(limit, 'sid:1'), suricata(filter, 'sid:2')], { variables: VARS });
    const inspector = createIpsInspector(ruleSet, 'detect');
    const seen = (payload: string, timeMs: number) =>
      inspector.inspect(packet(payload, { timeMs }), inspector.newFlowState()).findings.length;
    assert.deepEqual(
      [1, 2, 3].map((k) => seen('x', k * 1000)),
      [1, 1, 0],
    );
    assert.equal(seen('x', 70_000), 1, 'a new window after 60 s');
    assert.deepEqual(
      [1, 2, 3, 4].map((k) => seen('y', k * 1000)),
      [0, 0, 1, 1],
    );
  });
});

describe('refused whole, with a counted class', () => {
  for (const [rule, reasonClass] of [
    ['alert tcp any any -> any any (content:"x"; byte_test:1,>,2,0; sid:1;)', 'unsupported-keyword:byte_test'],
    ['alert tcp any any -> any any (tls.certs; content:"x"; sid:1;)', 'unsupported-keyword:tls.certs'],
    ['alert icmp any any -> any any (itype:8; sid:1;)', 'unsupported-protocol:icmp'],
    ['pass tcp any any -> any any (content:"x"; sid:1;)', 'unsupported-action:pass'],
    ['alert tcp any any -> any any (pcre:"/(a)\\1/"; sid:1;)', 'regex-untranslatable'],
    ['alert tcp any any -> any any (pcre:"/(?=(a+)+b)c/"; sid:1;)', 'regex-unsafe'],
    ['alert tcp any any -> any any (pcre:"/a/X"; sid:1;)', 'pcre-flag:X'],
    ['alert tcp any any -> any any (content:"x"; sid:1', 'syntax'],
    ['alert tcp any any -> any any (content:"x";)', 'invalid:sid'],
    ['alert http any any -> any any (content:"x"; http.uri; content:"y"; sid:1;)', 'mixed-buffers'],
    ['alert tcp any any -> any any (flow:only_stream; content:"x"; sid:1;)', 'unsupported-option:flow:only_stream'],
  ] as const) {
    it(reasonClass, () => assert.equal(refusedAs(rule), reasonClass));
  }
  it('a pattern with nested repetition runs under the backtracking guard without stalling', () => {
    const started = performance.now();
    assert.equal(
      matches('alert tcp any any -> any any (pcre:"/^(a+)+$/"; sid:1;)', packet(`${'a'.repeat(40)}!`)),
      false,
    );
    assert.ok(performance.now() - started < 2_000);
  });
});
