import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileReputation } from './compiled-reputation.js';
import { addressBytes } from './target-pattern.js';
import { WebReputation, type WebTarget } from './web-reputation.js';
import type { WebrepConfiguration } from './webrep-configuration.js';

const base: WebrepConfiguration = {
  detectOnly: false,
  securityLevel: 'medium',
  blockUnrated: false,
  blockedCategories: [],
  allow: [],
  block: [],
  reputation: null,
  httpPorts: [80],
  tlsPorts: [443],
  blockPage: true,
};

function web(over: Partial<WebrepConfiguration>, feed?: string) {
  return new WebReputation({ ...base, ...over }, feed === undefined ? null : compileReputation(7, feed).data);
}

const host = (h: string): WebTarget => ({ host: h });
const url = (u: string): WebTarget => ({ host: u.slice(0, u.indexOf('/')), url: u });
const ip = (a: string): WebTarget => ({ address: addressBytes(a)! });

describe('web reputation decisions', () => {
  it('block list: exact hosts, "*." subdomains only, "." both', () => {
    const w = web({ block: ['bad.example', '*.ads.example', '.track.example'] });
    assert.equal(w.decide(host('bad.example')).action, 'block');
    assert.equal(w.decide(host('www.bad.example')).action, 'pass');
    assert.equal(w.decide(host('ads.example')).action, 'pass');
    assert.equal(w.decide(host('x.y.ads.example')).action, 'block');
    assert.equal(w.decide(host('track.example')).action, 'block');
    assert.equal(w.decide(host('a.track.example')).action, 'block');
    assert.equal(w.decide(host('nottrack.example')).action, 'pass');
    assert.equal(w.decide(host('a.track.example')).entry, '.track.example');
  });

  it('URL entries: a trailing "/" is a prefix, otherwise the exact path', () => {
    const w = web({ block: ['files.example/dl/', 'http://files.example/tool.exe'] });
    assert.equal(w.decide(url('files.example/dl/x.exe')).action, 'block');
    assert.equal(w.decide(url('files.example/dl/')).action, 'block');
    assert.equal(w.decide(url('files.example/dlx')).action, 'pass');
    assert.equal(w.decide(url('files.example/tool.exe')).action, 'block');
    assert.equal(w.decide(url('files.example/tool.exe.txt')).action, 'pass');
    assert.equal(
      w.decide(host('files.example')).action,
      'pass',
      'TLS shows only the host: a URL entry does not block it',
    );
  });

  it('addresses and networks, IPv4 and IPv6', () => {
    const w = web({ block: ['203.0.113.7', '198.51.100.0/24', '2001:db8::/32'] });
    assert.equal(w.decide(ip('203.0.113.7')).action, 'block');
    assert.equal(w.decide(ip('203.0.113.8')).action, 'pass');
    assert.equal(w.decide(ip('198.51.100.250')).action, 'block');
    assert.equal(w.decide(ip('198.51.101.1')).action, 'pass');
    assert.equal(w.decide(ip('2001:db8:1::5')).action, 'block');
    assert.equal(w.decide(ip('2001:db9::5')).action, 'pass');
  });

  it('allow list first, then block list, then reputation', () => {
    const feed = 'target,risk,category\nbad.example,95,malware\nok.example,10,news\n';
    const w = web({ allow: ['bad.example'], block: ['ok.example'] }, feed);
    const allowed = w.decide(host('bad.example'));
    assert.deepEqual([allowed.action, allowed.source], ['pass', 'allow-list']);
    const blocked = w.decide(host('ok.example'));
    assert.deepEqual([blocked.action, blocked.source], ['block', 'block-list']);
  });

  it('security level thresholds, blocked categories, unrated', () => {
    const feed = 'target,risk,category\nlow.example,35,\nmid.example,65,\nhigh.example,90,\ngame.example,5,games\n';
    const at = (level: WebrepConfiguration['securityLevel']) =>
      ['low.example', 'mid.example', 'high.example'].map(
        (h) => web({ securityLevel: level }, feed).decide(host(h)).action,
      );
    assert.deepEqual(at('high'), ['block', 'block', 'block']);
    assert.deepEqual(at('medium'), ['pass', 'block', 'block']);
    assert.deepEqual(at('low'), ['pass', 'pass', 'block']);
    const categories = web({ blockedCategories: ['Games'] }, feed).decide(host('game.example'));
    assert.deepEqual([categories.action, categories.category, categories.feedVersion], ['block', 'games', 7]);
    assert.equal(web({}, feed).decide(host('unknown.example')).action, 'pass');
    const unrated = web({ blockUnrated: true }, feed).decide(host('unknown.example'));
    assert.deepEqual([unrated.action, unrated.source], ['block', 'unrated']);
  });

  it('the most specific rating decides: URL over host, exact host over a wildcard', () => {
    const feed = 'target,risk\n.example.org,90\nsafe.example.org,0\nsafe.example.org/evil/,99\n';
    const w = web({}, feed);
    assert.equal(w.decide(host('x.example.org')).action, 'block');
    assert.equal(w.decide(host('safe.example.org')).action, 'pass');
    assert.equal(w.decide(url('safe.example.org/evil/a')).action, 'block');
    assert.equal(w.decide(url('safe.example.org/good')).action, 'pass');
  });

  it('names list entries it cannot compile instead of skipping them quietly', () => {
    const w = web({ block: ['ok.example', 'bad host', 'ftp://x.example/'] });
    assert.deepEqual(
      w.refused.map((r) => r.entry),
      ['bad host', 'ftp://x.example/'],
    );
  });
});
