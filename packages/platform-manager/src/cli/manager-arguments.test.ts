import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultDataDir, parseManagerArguments } from './manager-arguments.js';

test('defaults: ports 4119/4120 on 0.0.0.0, data dir from the environment', () => {
  const parsed = parseManagerArguments([], { BULWARK_DATA_DIR: '/srv/bulwark' });
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, {
    command: 'serve',
    dataDir: '/srv/bulwark',
    databaseUrl: undefined,
    consolePort: 4119,
    agentPort: 4120,
    listenAddress: '0.0.0.0',
    serverNames: [],
    logLevel: 'info',
    eventRetentionDays: 90,
    clusterKeyFile: undefined,
    advertiseUrl: undefined,
  });
});

test('--advertise-url takes an https URL of a host, from the flag or the environment', () => {
  const flag = parseManagerArguments(['--advertise-url', 'https://m2.example:4120'], {});
  assert.ok(flag.ok && flag.value.command === 'serve');
  assert.equal(flag.value.advertiseUrl, 'https://m2.example:4120');
  const env = parseManagerArguments([], { BULWARK_ADVERTISE_URL: 'https://10.0.0.2:4120' });
  assert.ok(env.ok && env.value.command === 'serve');
  assert.equal(env.value.advertiseUrl, 'https://10.0.0.2:4120');
  for (const bad of ['http://m2.example:4120', 'm2.example', 'https://m2.example/agent']) {
    const parsed = parseManagerArguments(['--advertise-url', bad], {});
    assert.ok(!parsed.ok, bad);
    assert.match(parsed.message, /--advertise-url must be an https/);
  }
});

test('the default data dir is the system one for root and a per-user one otherwise', () => {
  assert.equal(defaultDataDir({}, 0), '/var/lib/bulwark/manager');
  assert.equal(defaultDataDir({ HOME: '/home/ann' }, 1000), '/home/ann/.local/share/bulwark/manager');
  assert.equal(defaultDataDir({ BULWARK_DATA_DIR: '/d', HOME: '/home/ann' }, 0), '/d');
});

test('serve options, repeated --server-name, database URL from flag or environment', () => {
  const parsed = parseManagerArguments(
    ['--console-port', '0', '--agent-port', '9443', '--server-name', 'a.example', '--server-name', '10.0.0.1'],
    { BULWARK_DATABASE_URL: 'postgres://db/bulwark', BULWARK_DATA_DIR: '/d' },
  );
  assert.ok(parsed.ok && parsed.value.command === 'serve');
  assert.equal(parsed.value.consolePort, 0);
  assert.equal(parsed.value.agentPort, 9443);
  assert.deepEqual(parsed.value.serverNames, ['a.example', '10.0.0.1']);
  assert.equal(parsed.value.databaseUrl, 'postgres://db/bulwark');
});

test('create-api-key needs a valid role', () => {
  const good = parseManagerArguments(['create-api-key', '--role', 'operator', '--name', 'ci', '--json'], {
    BULWARK_DATA_DIR: '/d',
  });
  assert.ok(good.ok);
  assert.deepEqual(good.value, {
    command: 'create-api-key',
    dataDir: '/d',
    databaseUrl: undefined,
    role: 'operator',
    name: 'ci',
    json: true,
  });
  for (const argv of [['create-api-key'], ['create-api-key', '--role', 'root']]) {
    const bad = parseManagerArguments(argv, {});
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.message, /--role/);
  }
});

test('bad input is a message, never an exception', () => {
  for (const argv of [
    ['--console-port', '70000'],
    ['--console-port', 'http'],
    ['--nope'],
    ['launch'],
    ['serve', 'extra'],
    ['--log-level', 'loud'],
    ['--event-retention-days', '-1'],
  ]) {
    const parsed = parseManagerArguments(argv, {});
    assert.equal(parsed.ok, false, argv.join(' '));
  }
});
