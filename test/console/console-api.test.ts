import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bearer, call, startTestManager, type TestManager } from '../manager/manager-harness.js';
import { activateFakeAgent, type FakeAgent } from './console-harness.js';

/** What the manager adds for the web console: its files with their own CSP, the dashboard counts, rule search, module actions. */
describe('manager: what the web console needs', () => {
  let t: TestManager;
  let consoleDir: string;
  let agent: FakeAgent;
  const get = (path: string, role: 'administrator' | 'operator' | 'auditor' = 'auditor') =>
    call(`${t.manager.consoleUrl}${path}`, { headers: bearer(t.keys[role]), ca: t.manager.caCertPem });

  before(async () => {
    consoleDir = await mkdtemp(join(tmpdir(), 'bulwark-console-files-'));
    await mkdir(join(consoleDir, 'assets'));
    await writeFile(
      join(consoleDir, 'index.html'),
      '<!doctype html><script type="module" src="/assets/app-1a2b.js"></script>',
    );
    await writeFile(join(consoleDir, 'assets/app-1a2b.js'), 'console.log("console");');
    t = await startTestManager({ consoleDir });
    agent = await activateFakeAgent(t.manager, t.keys.administrator, 'dash-01', null);
  });
  after(async () => {
    await t?.close();
    await rm(consoleDir, { recursive: true, force: true });
  });

  test('the console page and files: own scripts only, never framed; the API keeps its own policy and 404s', async () => {
    const ca = t.manager.caCertPem;
    for (const path of ['/', '/computers/8d3c5e1e-0000-4000-8000-000000000000', '/events?module=firewall']) {
      const page = await call(`${t.manager.consoleUrl}${path}`, { ca });
      assert.equal(page.status, 200, path);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.match(page.text, /app-1a2b\.js/);
      const csp = String(page.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(page.headers['cache-control'], 'no-store');
      assert.equal(page.headers['x-frame-options'], 'DENY');
    }
    const script = await call(`${t.manager.consoleUrl}/assets/app-1a2b.js`, { ca });
    assert.equal(script.status, 200);
    assert.match(String(script.headers['content-type']), /^text\/javascript/);
    assert.match(String(script.headers['cache-control']), /immutable/);
    for (const path of ['/assets/app-old.js', '/api/no-such-route', '/agent-package/nothing-here']) {
      const missing = await call(`${t.manager.consoleUrl}${path}`, { ca });
      assert.equal(missing.status, 404, path);
      assert.equal(missing.json?.type, 'urn:bulwark:problem:not-found', path);
      assert.equal(
        missing.headers['content-security-policy'],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
      );
    }
    const health = await call(`${t.manager.consoleUrl}/api/health`, { ca });
    assert.equal(
      health.headers['content-security-policy'],
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  test('a manager whose console is not built says how to build it', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'bulwark-console-empty-'));
    const bare = await startTestManager({ consoleDir: empty });
    try {
      const page = await call(`${bare.manager.consoleUrl}/`, { ca: bare.manager.caCertPem });
      assert.equal(page.status, 404);
      assert.match(page.json.detail, /npm run build/);
    } finally {
      await bare.close();
      await rm(empty, { recursive: true, force: true });
    }
  });

  test('the dashboard counts computers by status, events by module per bucket, top rules, open alerts', async () => {
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const event = (module: string, ruleId: string | null, minutesAgo: number) => ({
      module,
      type: 'packet',
      severity: 'low',
      ...(ruleId === null ? {} : { ruleId }),
      action: 'Deny',
      summary: `${module} ${ruleId}`,
      details: {},
      time: at(minutesAgo),
    });
    await agent.sendEvents([
      event('firewall', 'deny-syn-fin', 5),
      event('firewall', 'deny-syn-fin', 6),
      event('firewall', 'deny-fragments', 7),
      event('loginspect', '5710', 180),
      event('loginspect', null, 181),
      event('firewall', 'deny-fragments', 60 * 30),
    ]);
    const day = await get('/api/dashboard');
    assert.equal(day.status, 200, day.text);
    assert.equal(day.json.computersByStatus['updates-pending'], 1);
    assert.equal(day.json.computersByStatus.managed, 0);
    assert.equal(day.json.bucketMinutes, 60);
    const total = (module: string) =>
      day.json.eventsOverTime
        .filter((b: { module: string }) => b.module === module)
        .reduce((n: number, b: { count: number }) => n + b.count, 0);
    assert.equal(total('firewall'), 3, 'the event of 30 hours ago is outside the window');
    assert.equal(total('loginspect'), 2);
    for (const b of day.json.eventsOverTime) assert.equal(new Date(b.bucket).getTime() % 3_600_000, 0, b.bucket);
    assert.deepEqual(day.json.topRules, [
      { module: 'firewall', ruleId: 'deny-syn-fin', count: 2 },
      { module: 'firewall', ruleId: 'deny-fragments', count: 1 },
      { module: 'loginspect', ruleId: '5710', count: 1 },
    ]);
    assert.equal(day.json.openAlerts, 0);
    const twoDays = await get('/api/dashboard?hours=48');
    assert.equal(twoDays.json.topRules[0].count, 2);
    assert.equal(
      twoDays.json.topRules.find((r: { ruleId: string }) => r.ruleId === 'deny-fragments').count,
      2,
      'the wider window holds the older event',
    );
    const hour = await get('/api/dashboard?hours=1');
    assert.equal(hour.json.bucketMinutes, 15);
    assert.deepEqual(
      hour.json.eventsOverTime.map((b: { module: string }) => b.module).sort(),
      hour.json.eventsOverTime.map(() => 'firewall'),
    );
    // One event says its computer and the catalogue rule behind it, as lists do.
    const listed = await get('/api/events?module=firewall&ruleId=deny-syn-fin&limit=1');
    const one = await get(`/api/events/${listed.json.items[0].id}`);
    assert.equal(one.json.computerName, 'dash-01');
    assert.equal(one.json.assignableRuleId, 'deny-syn-fin');
    for (const bad of ['hours=0', 'hours=745', 'hours=abc', 'days=1']) {
      assert.equal((await get(`/api/dashboard?${bad}`)).status, 400, bad);
    }
  });

  test('rules are searched on the server, by id or text, in any case, and paged', async () => {
    const ssh = await get('/api/modules/firewall/rules?q=SSH');
    assert.equal(ssh.status, 200, ssh.text);
    const ids = ssh.json.items.map((r: { id: string }) => r.id);
    assert.ok(ids.includes('allow-ssh'), ids.join());
    for (const rule of ssh.json.items) assert.match(JSON.stringify(rule).toLowerCase(), /ssh/);
    const text = await get('/api/modules/firewall/rules?q=fragmented%20ip');
    assert.deepEqual(
      text.json.items.map((r: { id: string }) => r.id),
      ['deny-fragments'],
    );
    assert.deepEqual((await get('/api/modules/firewall/rules?q=no-such-rule-anywhere')).json.items, []);
    const first = await get('/api/modules/firewall/rules?q=ssh&limit=1');
    assert.equal(first.json.items.length, 1);
    assert.ok(first.json.nextCursor);
    const second = await get(
      `/api/modules/firewall/rules?q=ssh&limit=1&cursor=${encodeURIComponent(first.json.nextCursor)}`,
    );
    assert.equal(second.json.items[0]?.id, ids[1]);
  });

  test('the module registry says which commands a computer page may offer as plain actions', async () => {
    const modules = (await get('/api/modules')).json.items as {
      id: string;
      hasRules: boolean;
      commands: { name: string; argumentsRequired: boolean }[];
    }[];
    const byId = new Map(modules.map((m) => [m.id, m]));
    assert.equal(byId.get('platform')?.hasRules, false);
    assert.equal(byId.get('firewall')?.hasRules, true);
    const integrity = byId.get('integrity')?.commands ?? [];
    assert.equal(integrity.find((c) => c.name === 'scan')?.argumentsRequired, false);
    assert.equal(integrity.find((c) => c.name === 'rebuild-baseline')?.argumentsRequired, false);
    assert.equal(byId.get('firewall')?.commands.find((c) => c.name === 'unblock')?.argumentsRequired, true);
  });
});
