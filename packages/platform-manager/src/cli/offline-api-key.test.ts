import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { managerModules } from '../modules/registry.js';
import { createServices } from '../services/index.js';
import { openDatabase } from '../storage/index.js';
import { DEFAULT_TEST_POSTGRES_URL, testStores } from '../storage/test-stores.js';
import { checkoutDataDirs, parseManagerArguments } from './manager-arguments.js';
import { createApiKeyCommandLine, createApiKeyOffline } from './offline-api-key.js';

const postgres = (await testStores())[1]!;
const root = mkdtempSync(join(tmpdir(), 'bulwark-offline-key-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** One statement on a connection of its own, as test-stores.ts does: nothing stays open between them. */
async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function create(where: { dataDir: string; databaseUrl?: string }) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const code = await createApiKeyOffline(
    {
      command: 'create-api-key',
      dataDir: where.dataDir,
      databaseUrl: where.databaseUrl,
      role: 'administrator',
      name: 'cli',
      json: true,
    },
    { stdout, stderr },
  );
  return { code, out, err };
}

describe('bulwark-manager create-api-key', () => {
  test('a folder without a store is refused, named, and left as it was', async () => {
    const missing = join(root, 'typo', 'manager');
    const answer = await create({ dataDir: missing });
    assert.equal(answer.code, 1);
    assert.equal(answer.out, '', 'no key printed');
    assert.match(answer.err, new RegExp(`no manager store in ${missing}`));
    assert.match(answer.err, /--data-dir DIR/);
    assert.match(answer.err, /BULWARK_DATA_DIR/);
    assert.equal(existsSync(join(root, 'typo')), false, 'no folder was created');

    const empty = join(root, 'empty');
    mkdirSync(empty);
    assert.equal((await create({ dataDir: empty })).code, 1);
    assert.deepEqual(readdirSync(empty), [], 'no store was created in an existing folder');
  });

  test("a manager's store gets a key the manager accepts", async () => {
    const dataDir = join(root, 'manager');
    const store = await openDatabase({ dataDir });
    await store.close();
    const answer = await create({ dataDir });
    assert.equal(answer.code, 0, answer.err);
    const { key } = JSON.parse(answer.out) as { key: string };
    const again = await openDatabase({ dataDir });
    try {
      const principal = await createServices({ db: again.db, modules: managerModules }).apiKeys.authenticate(key);
      assert.ok(principal.ok, 'the key is in the store the manager opens');
    } finally {
      await again.close();
    }
  });

  test('PostgreSQL: a database without the schema is refused; the store gets a key', {
    skip: postgres.skip,
  }, async () => {
    const adminUrl = process.env.BULWARK_TEST_POSTGRES_URL || DEFAULT_TEST_POSTGRES_URL;
    const name = `bulwark_test_${process.pid}_${randomBytes(6).toString('hex')}`;
    await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
    try {
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const refused = await create({ dataDir: join(root, 'unused'), databaseUrl: url.toString() });
      assert.equal(refused.code, 1, refused.err);
      assert.match(refused.err, /holds no manager store/);
      const store = await openDatabase({ url: url.toString() });
      await store.close();
      const created = await create({ dataDir: join(root, 'unused'), databaseUrl: url.toString() });
      assert.equal(created.code, 0, created.err);
      assert.match(created.out, /"key":"bwk_/);
    } finally {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  });
});

describe('where the store is', () => {
  test('BULWARK_DATA_DIR is the same folder for npm start and bulwark-manager', () => {
    const env = { BULWARK_DATA_DIR: '/srv/bulwark/manager' };
    const parsed = parseManagerArguments(['create-api-key', '--role', 'auditor'], env);
    assert.ok(parsed.ok && parsed.value.command === 'create-api-key');
    assert.equal(checkoutDataDirs('/repo', env).managerDir, parsed.value.dataDir);
    // A data folder of its own brings the local agent's along, never the checkout's.
    assert.equal(checkoutDataDirs('/repo', env).agentDir, '/srv/bulwark/manager/agent');
    assert.deepEqual(checkoutDataDirs('/repo', {}), {
      managerDir: '/repo/.bulwark-data/manager',
      agentDir: '/repo/.bulwark-data/agent',
    });
  });

  test('the first-start hint names the store the manager runs on, without its password', () => {
    assert.equal(
      createApiKeyCommandLine('/var/lib/bulwark/manager', undefined),
      'bulwark-manager create-api-key --role administrator --data-dir /var/lib/bulwark/manager',
    );
    assert.equal(
      createApiKeyCommandLine('/var/lib/bulwark/manager', 'postgres://bulwark:s3cret@db.example/bulwark'),
      'bulwark-manager create-api-key --role administrator --database-url postgres://bulwark:PASSWORD@db.example/bulwark',
    );
  });

  test('ports, listen address and log level come from the same variables as their options', () => {
    const parsed = parseManagerArguments([], {
      BULWARK_CONSOLE_PORT: '8443',
      BULWARK_AGENT_PORT: '8444',
      BULWARK_LISTEN_ADDRESS: '127.0.0.1',
      BULWARK_LOG_LEVEL: 'warn',
    });
    assert.ok(parsed.ok && parsed.value.command === 'serve');
    assert.deepEqual(
      [parsed.value.consolePort, parsed.value.agentPort, parsed.value.listenAddress, parsed.value.logLevel],
      [8443, 8444, '127.0.0.1', 'warn'],
    );
    const bad = parseManagerArguments([], { BULWARK_CONSOLE_PORT: 'x' });
    assert.ok(!bad.ok);
    assert.match(bad.message, /--console-port must be a port number 0\.\.65535, not "x" \(from BULWARK_CONSOLE_PORT\)/);
  });
});
