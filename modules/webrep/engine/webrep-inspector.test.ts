import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InspectionUnit } from '@bulwark/traffic/engine';
import { WebReputation } from './web-reputation.js';
import type { WebrepConfiguration } from './webrep-configuration.js';
import { webrepInspector } from './webrep-inspector.js';

const config: WebrepConfiguration = {
  detectOnly: false,
  securityLevel: 'medium',
  blockUnrated: false,
  blockedCategories: [],
  allow: ['ok.example/public/'],
  block: ['*.bad.example', 'ok.example/', '198.51.100.9'],
  reputation: null,
  httpPorts: [80, 8080],
  tlsPorts: [443],
  blockPage: true,
};

const flow = (serverAddress: string, serverPort: number) => ({
  protocol: 'tcp' as const,
  clientAddress: '10.0.0.2',
  clientPort: 40000,
  serverAddress,
  serverPort,
});

function http(host: string, path: string, serverAddress = '203.0.113.5'): InspectionUnit {
  return {
    kind: 'http-request',
    flowId: 7,
    flow: flow(serverAddress, 80),
    direction: 'to_server',
    established: true,
    timeMs: 1_700_000_000_000,
    buffers: host === '' ? {} : { 'http.host': new TextEncoder().encode(host) },
    http: {
      method: 'GET',
      rawTarget: path,
      normalisedPath: path,
      parameters: [],
      version: 'HTTP/1.1',
      headers: [],
      chunked: false,
      bodyTruncated: false,
      anomalies: [],
    },
  } as unknown as InspectionUnit;
}

function tls(sni: string | undefined, serverAddress = '203.0.113.5'): InspectionUnit {
  return {
    kind: 'tls-client-hello',
    flowId: 9,
    flow: flow(serverAddress, 443),
    direction: 'to_server',
    established: true,
    timeMs: 1_700_000_000_000,
    buffers: {},
    tls: { ...(sni === undefined ? {} : { sni }), version: '3.3' },
  } as unknown as InspectionUnit;
}

function serverHello(certificate?: { subjectCommonName?: string; dnsNames: string[] }): InspectionUnit {
  return {
    kind: 'tls-server-hello',
    flowId: 9,
    flow: flow('203.0.113.5', 443),
    direction: 'to_client',
    established: true,
    timeMs: 1_700_000_000_050,
    buffers: {},
    tls: certificate ? { version: '3.3', certificate } : { version: '3.4', missing: 'encrypted' },
  } as unknown as InspectionUnit;
}

function inspector(over: Partial<WebrepConfiguration> = {}) {
  const c = { ...config, ...over };
  return webrepInspector(c, new WebReputation(c, null));
}

describe('web reputation inspector', () => {
  it('asks for the HTTP and TLS ports with their parsers', () => {
    assert.deepEqual(inspector().ports, [
      { protocol: 'tcp', ports: [80, 8080], parser: 'http' },
      { protocol: 'tcp', ports: [443], parser: 'tls' },
    ]);
  });

  it('blocks an HTTP request by host with a block page naming the reason and the block id', () => {
    const i = inspector();
    const r = i.inspect(http('www.bad.example', '/x'), i.newFlowState());
    assert.equal(r.decision.action, 'block');
    assert.ok(r.decision.action === 'block' && r.decision.respond);
    const page = r.decision.action === 'block' ? r.decision.respond! : undefined;
    assert.equal(page?.status, 403);
    const finding = r.findings[0]!;
    assert.match(page!.body, /on the block list \(\*\.bad\.example\)/);
    assert.ok(page!.body.includes(finding.blockId));
    assert.deepEqual([finding.host, finding.url, finding.seen], ['www.bad.example', 'www.bad.example/x', 'http']);
  });

  it('the allow list wins over the block list for a URL prefix; HTTP keeps being inspected per request', () => {
    const i = inspector();
    const state = i.newFlowState();
    assert.equal(i.inspect(http('ok.example', '/public/a'), state).decision.action, 'pass');
    assert.equal(i.wantsMore(state, 'to_server'), true);
    assert.equal(i.inspect(http('ok.example', '/private'), state).decision.action, 'block');
  });

  it('TLS by SNI, and by address when there is no SNI; done after the ClientHello', () => {
    const i = inspector();
    const state = i.newFlowState();
    const r = i.inspect(tls('a.bad.example'), state);
    assert.equal(r.decision.action, 'block');
    assert.ok(r.decision.action === 'block' && r.decision.respond === undefined, 'HTTPS gets a reset, no page');
    const bare = i.newFlowState();
    assert.equal(i.inspect(tls(undefined, '198.51.100.9'), bare).findings[0]?.seen, 'address');
    const fine = i.newFlowState();
    assert.equal(i.inspect(tls('fine.example'), fine).decision.action, 'pass');
    assert.equal(i.wantsMore(fine, 'to_server'), false);
  });

  it('no SNI: the names of the server certificate decide (TLS 1.2); TLS 1.3 stays decided by the address', () => {
    const i = inspector();
    const state = i.newFlowState();
    assert.equal(i.inspect(tls(undefined), state).decision.action, 'pass');
    assert.equal(i.wantsMore(state, 'to_client'), true, 'waits for the certificate');
    const r = i.inspect(
      serverHello({ subjectCommonName: 'shop.example', dnsNames: ['shop.example', 'x.bad.example'] }),
      state,
    );
    assert.equal(r.decision.action, 'block');
    assert.ok(r.decision.action === 'block' && r.decision.respond === undefined);
    assert.deepEqual([r.findings[0]?.seen, r.findings[0]?.host], ['certificate', 'x.bad.example']);
    assert.equal(i.wantsMore(state, 'to_client'), false);
    // A wildcard name is a name under its domain: "*.bad.example" blocks "*.bad.example".
    const wild = i.newFlowState();
    i.inspect(tls(undefined), wild);
    assert.equal(i.inspect(serverHello({ dnsNames: ['*.bad.example'] }), wild).findings[0]?.host, '*.bad.example');
    // The allow list wins for the server: one allowed name passes the connection.
    const allowed = inspector({ allow: ['shop.example'] });
    const kept = allowed.newFlowState();
    allowed.inspect(tls(undefined), kept);
    assert.equal(
      allowed.inspect(serverHello({ dnsNames: ['shop.example', 'x.bad.example'] }), kept).decision.action,
      'pass',
    );
    const tls13 = i.newFlowState();
    i.inspect(tls(undefined), tls13);
    assert.equal(i.inspect(serverHello(), tls13).decision.action, 'pass');
    assert.equal(i.wantsMore(tls13, 'to_client'), false);
    // With SNI the certificate is not looked at.
    const named = i.newFlowState();
    i.inspect(tls('fine.example'), named);
    assert.equal(i.inspect(serverHello({ dnsNames: ['x.bad.example'] }), named).decision.action, 'pass');
  });

  it('an HTTP request to a bare address is decided by the address', () => {
    const i = inspector();
    assert.equal(i.inspect(http('198.51.100.9', '/', '198.51.100.9'), i.newFlowState()).decision.action, 'block');
    assert.equal(i.inspect(http('', '/', '198.51.100.9'), i.newFlowState()).decision.action, 'block');
  });

  it('detect only: reports, never blocks', () => {
    const i = inspector({ detectOnly: true });
    const r = i.inspect(http('www.bad.example', '/'), i.newFlowState());
    assert.equal(r.decision.action, 'pass');
    assert.equal(r.findings[0]?.detectOnly, true);
  });

  it('ignores the server side', () => {
    const i = inspector();
    const unit = { ...http('www.bad.example', '/'), direction: 'to_client' } as InspectionUnit;
    assert.equal(i.inspect(unit, i.newFlowState()).findings.length, 0);
  });
});
