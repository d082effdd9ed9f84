import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { entityFilter, validateRule } from '@bulwark/module-integrity/engine';
import { collectHostEntities } from '../../modules/integrity/agent/host-collectors.js';
import { cleanup, fileRule, harness, temporaryDirectory } from './harness.js';

const rule = (entity: Record<string, unknown>) => {
  const r = validateRule({ id: 'h', name: 'Host', description: '', severity: 'high', entity });
  assert.ok(r.ok);
  return r.rule;
};

test('a cron schedule runs a scan when it comes due', { timeout: 90_000 }, async () => {
  const root = temporaryDirectory('cron');
  writeFileSync(join(root, 'file'), 'one');
  // The module's clock runs ahead so that the next whole minute is ten seconds away: time for
  // the baseline to be built and the file changed before the scheduled scan.
  const offset = 50_000 - (Date.now() % 60_000);
  const h = harness(undefined, { now: () => new Date(Date.now() + offset) });
  try {
    await h.apply([fileRule('cron', root)], { realTime: false, schedule: '* * * * *' });
    writeFileSync(join(root, 'file'), 'two');
    const event = await h.waitFor((e) => e.type === 'updated', 40_000);
    assert.equal(event.details?.source, 'scheduled-scan');
    assert.equal(h.module.status().counters?.scans, 1);
  } finally {
    await h.module.stop();
    cleanup(root, h.dataDir);
  }
});

test('listening ports: a new loopback listener is found with its process', { timeout: 60_000 }, async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const r = rule({ kind: 'ports', protocols: ['tcp'] });
    const observed = await collectHostEntities(r, entityFilter(r));
    const entry = observed.entries.get(`tcp 127.0.0.1:${port}`);
    assert.ok(entry, `port ${port} not among ${[...observed.entries.keys()].join(', ')}`);
    assert.equal(entry.attributes.process, 'node');
    const narrowed = rule({ kind: 'ports', include: [`tcp:${port}`] });
    assert.deepEqual(
      [...(await collectHostEntities(narrowed, entityFilter(narrowed))).entries.keys()],
      [`tcp 127.0.0.1:${port}`],
    );
  } finally {
    server.close();
  }
});

test('users, groups, packages and kernel modules are read from the host files', async () => {
  const root = temporaryDirectory('hostroot');
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'proc'));
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/:/bin/sh\nbroken\n');
  writeFileSync(join(root, 'etc/group'), 'sudo:x:27:bob\n');
  writeFileSync(join(root, 'proc/modules'), 'veth 40960 0 - Live 0x0000000000000000\n');
  writeFileSync(
    join(root, 'var/lib/dpkg/status'),
    'Package: sudo\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.9\n',
  );
  try {
    const users = await collectHostEntities(rule({ kind: 'users' }), entityFilter(rule({ kind: 'users' })), { root });
    assert.deepEqual([...users.entries.keys()], ['root', 'toor']);
    assert.equal(users.skippedLines, 1);
    const groups = await collectHostEntities(rule({ kind: 'groups' }), entityFilter(rule({ kind: 'groups' })), {
      root,
    });
    assert.equal(groups.entries.get('sudo')?.attributes.members, 'bob');
    const modules = await collectHostEntities(
      rule({ kind: 'kernel-modules' }),
      entityFilter(rule({ kind: 'kernel-modules' })),
      { root },
    );
    assert.deepEqual([...modules.entries.keys()], ['veth']);
    const packages = rule({ kind: 'packages', managers: ['dpkg'] });
    assert.equal(
      (await collectHostEntities(packages, entityFilter(packages), { root })).entries.get('dpkg:sudo:amd64')?.attributes
        .version,
      '1.9',
    );
    const services = await collectHostEntities(rule({ kind: 'services' }), entityFilter(rule({ kind: 'services' })), {
      root,
    });
    assert.ok(services.unavailable);
    const empty = temporaryDirectory('emptyroot');
    const none = await collectHostEntities(rule({ kind: 'users' }), entityFilter(rule({ kind: 'users' })), {
      root: empty,
    });
    assert.match(none.unavailable ?? '', /passwd/);
    cleanup(empty);
  } finally {
    cleanup(root);
  }
});
