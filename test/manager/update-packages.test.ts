// Update packages from the manager's import to the agent's store: signed on import with the key
// the manager's CA endorses, downloaded in chunks, verified, swapped in, rolled back (by the
// manager for everyone, and on one host). Refusals: a tampered chunk, a package signed by another
// key, a signer the pinned CA did not endorse. An interrupted download resumes where it stopped.
// Both stores (SQLite; PostgreSQL when BULWARK_TEST_POSTGRES_URL or the default one answers).
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type ManagerModule,
  UPDATE_CHUNK_BYTES,
  type UpdateChunk,
  type UpdatePackageRefs,
  updatePackageStatement,
} from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import { silentLogger } from '../../packages/platform-agent/src/log/json-logger.js';
import { UpdateStore } from '../../packages/platform-agent/src/updates/update-store.js';
import { UpdateSync } from '../../packages/platform-agent/src/updates/update-sync.js';
import { loadOrCreatePki, type ManagerPki } from '../../packages/platform-manager/src/pki/certificate-authority.js';
import { createServices, type Services } from '../../packages/platform-manager/src/services/index.js';
import { loadCurrentUpdates } from '../../packages/platform-manager/src/services/update-packages.js';
import type { Store } from '../../packages/platform-manager/src/storage/open-database.js';
import { testStores } from '../../packages/platform-manager/src/storage/test-stores.js';

const admin = { kind: 'user' as const, id: null, name: 'ann' };

const feedModule: ManagerModule = {
  id: 'feeder',
  name: 'Feeder',
  description: 'consumes a test feed',
  settings: Type.Object({ enabled: Type.Boolean({ default: true }) }),
  updateKinds: [
    {
      kind: 'test-feed',
      description: 'lines of text',
      check: (content) => (Buffer.from(content).includes(0) ? ['NUL byte in the feed'] : []),
    },
  ],
  compile: ({ updates }) => ({ feed: updates?.['test-feed']?.version ?? null }),
};

type Channel = ConstructorParameters<typeof UpdateSync>[0]['channel'];

/** The agent channel's update route, answered by the services (what agent-routes.ts does over mTLS). */
function channelTo(services: Services, tamper?: (chunk: UpdateChunk) => UpdateChunk, failAfter?: { calls: number }) {
  let calls = 0;
  const channel: Channel = {
    async call(_method, path) {
      calls++;
      if (failAfter !== undefined && calls > failAfter.calls)
        return { ok: false, message: 'connection reset', retryable: true };
      const match = /^\/agent\/v1\/updates\/([a-z0-9-]+)\/(\d+)\?offset=(\d+)$/.exec(path);
      if (!match) return { ok: false, message: `unexpected path ${path}`, retryable: false };
      const chunk = await services.updatePackages.chunk(match[1]!, Number(match[2]), Number(match[3]));
      if (!chunk.ok) return { ok: false, status: 404, message: chunk.error.message, retryable: false };
      // biome-ignore lint/suspicious/noExplicitAny: the fake answers what the schema says
      return { ok: true, value: (tamper ? tamper(chunk.value) : chunk.value) as any };
    },
  };
  return { channel, calls: () => calls };
}

function must<T>(result: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!result.ok) assert.fail(result.error.message);
  return result.value;
}

for (const testStore of await testStores()) {
  describe(`update packages (${testStore.name})`, { skip: testStore.skip }, () => {
    let store: Store;
    let services: Services;
    let pki: ManagerPki;
    let dir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'bulwark-updates-'));
      pki = await loadOrCreatePki(join(dir, 'pki'));
      store = await testStore.open();
      services = createServices({ db: store.db, modules: [feedModule], updateSigner: pki.updateSigner });
    });
    after(async () => {
      await store?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function agent(name: string, channel: Channel, caPem = pki.caCertPem) {
      const agentDir = join(dir, name);
      const updateStore = new UpdateStore(agentDir);
      return { store: updateStore, sync: new UpdateSync({ store: updateStore, channel, caPem, log: silentLogger }) };
    }

    async function wanted(): Promise<UpdatePackageRefs> {
      return loadCurrentUpdates(store.db);
    }

    it('refuses content the module refuses, and an unknown kind; nothing is stored', async () => {
      const refused = await services.updatePackages.importPackage('test-feed', Buffer.from('a\0b'), '', admin);
      assert.equal(refused.ok, false);
      assert.match(refused.ok ? '' : refused.error.message, /refused/);
      const unknown = await services.updatePackages.importPackage('no-such-kind', Buffer.from('x'), '', admin);
      assert.equal(unknown.ok ? '' : unknown.error.kind, 'not-found');
      assert.deepEqual(await wanted(), {});
    });

    it('imports, signs, names the version in the configuration, audits; the agent downloads and swaps it in', async () => {
      // Three chunks and a bit: the download is chunked.
      const v1 = Buffer.alloc(UPDATE_CHUNK_BYTES * 3 + 100, 'a');
      const made = must(await services.updatePackages.importPackage('test-feed', v1, 'first', admin));
      assert.equal(made.package.version, 1);
      const refs = await wanted();
      assert.equal(refs['test-feed']?.version, 1);
      const audit = must(await services.audit.list({ targetKind: 'update-package' }));
      assert.equal(audit.items[0]?.action, 'update-package.import');

      const { channel, calls } = channelTo(services);
      const a = agent('agent-a', channel);
      assert.equal(await a.sync.sync(refs), true);
      assert.equal(calls(), 4);
      const current = a.store.current('test-feed');
      assert.equal(current?.version, 1);
      assert.deepEqual(readFileSync(current!.path), v1);
      assert.deepEqual(
        a.sync.reports().map((r) => [r.kind, r.version, r.state]),
        [['test-feed', 1, 'current']],
      );
      // Nothing new: no download.
      assert.equal(await a.sync.sync(refs), false);
      assert.equal(calls(), 4);
    });

    it('a tampered chunk (a row changed in the database) is refused and the version in use stays', async () => {
      must(await services.updatePackages.importPackage('test-feed', Buffer.from('version two\n'), 'second', admin));
      const refs = await wanted();
      assert.equal(refs['test-feed']?.version, 2);
      await store.db
        .updateTable('update_package_chunks')
        .set({ data: Buffer.from('version tw0\n').toString('base64') })
        .where('version', '=', 2)
        .execute();
      const a = agent('agent-a', channelTo(services).channel);
      assert.equal(await a.sync.sync(refs), false);
      assert.equal(a.store.current('test-feed')?.version, 1);
      const report = a.sync.reports()[0]!;
      assert.equal(report.state, 'failed');
      assert.match(report.reason ?? '', /does not match its signed SHA-256/);
      assert.deepEqual(
        readdirSync(a.store.dir('test-feed')).filter((f) => f.endsWith('.part')),
        [],
      );
      // The row put back: the next attempt takes it.
      await store.db
        .updateTable('update_package_chunks')
        .set({ data: Buffer.from('version two\n').toString('base64') })
        .where('version', '=', 2)
        .execute();
      assert.equal(await a.sync.sync(refs), true);
      assert.equal(a.store.current('test-feed')?.version, 2);
      assert.equal(a.store.state('test-feed').previous?.version, 1);
    });

    it('a package signed by another key, or a signer the pinned CA did not endorse, is refused', async () => {
      must(await services.updatePackages.importPackage('test-feed', Buffer.from('version three\n'), '', admin));
      const refs = await wanted();
      const rogue = generateKeyPairSync('ed25519');
      const rogueKey = rogue.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
      // Signed by a key of its own, presented with the real endorsement: the endorsement is of another key.
      const forged = channelTo(services, (c) => ({
        ...c,
        signer: { ...c.signer, publicKey: rogueKey },
        signature: sign(
          null,
          Buffer.from(updatePackageStatement(c.kind, c.version, c.sha256, c.size)),
          rogue.privateKey,
        ).toString('base64'),
      }));
      const a = agent('agent-a', forged.channel);
      assert.equal(await a.sync.sync(refs), false);
      assert.match(a.sync.reports()[0]?.reason ?? '', /not endorsed by the pinned manager CA/);
      // The real package, but the agent pinned another manager's CA.
      const otherPki = await loadOrCreatePki(join(dir, 'other-pki'));
      const b = agent('agent-a', channelTo(services).channel, otherPki.caCertPem);
      assert.equal(await b.sync.sync(refs), false);
      assert.match(b.sync.reports()[0]?.reason ?? '', /not endorsed/);
      // A signature over another version (an old package replayed as a newer one).
      const replayed = channelTo(services, (c) => ({
        ...c,
        signature: pki.updateSigner.sign(updatePackageStatement(c.kind, c.version - 1, c.sha256, c.size)),
      }));
      const c = agent('agent-a', replayed.channel);
      assert.equal(await c.sync.sync(refs), false);
      assert.match(c.sync.reports()[0]?.reason ?? '', /signature of test-feed version 3 does not verify/);
      assert.equal(c.store.current('test-feed')?.version, 2);
    });

    it('an interrupted download resumes at the last whole chunk and completes', async () => {
      const v4 = Buffer.alloc(UPDATE_CHUNK_BYTES * 2 + 7, 'd');
      must(await services.updatePackages.importPackage('test-feed', v4, '', admin));
      const refs = await wanted();
      const cut = channelTo(services, undefined, { calls: 2 });
      const a = agent('agent-resume', cut.channel);
      assert.equal(await a.sync.sync(refs), false);
      assert.equal(a.sync.reports()[0]?.state, 'failed');
      assert.match(a.sync.reports()[0]?.reason ?? '', /download stopped at byte 2097152/);
      assert.equal(a.store.current('test-feed'), undefined);
      assert.ok(existsSync(a.store.partPath('test-feed', 4)));
      const rest = channelTo(services);
      const again = agent('agent-resume', rest.channel);
      assert.equal(await again.sync.sync(refs), true);
      assert.equal(rest.calls(), 1, 'only the last chunk is fetched again');
      assert.deepEqual(readFileSync(again.store.current('test-feed')!.path), v4);
    });

    it('rollback by the manager: an agent that kept the version swaps back without a download', async () => {
      const counting = channelTo(services);
      const a = agent('agent-a', counting.channel);
      assert.equal(await a.sync.sync(await wanted()), true);
      assert.equal(a.store.current('test-feed')?.version, 4);
      must(await services.updatePackages.importPackage('test-feed', Buffer.from('five'), '', admin));
      assert.equal(await a.sync.sync(await wanted()), true);
      assert.deepEqual([a.store.current('test-feed')?.version, a.store.state('test-feed').previous?.version], [5, 4]);
      const rolled = must(await services.updatePackages.rollback('test-feed', admin));
      assert.deepEqual([rolled.withdrawn, rolled.current], [5, 4]);
      const calls = counting.calls();
      assert.equal(await a.sync.sync(await wanted()), true);
      assert.equal(counting.calls(), calls, 'no download: version 4 was kept');
      assert.deepEqual([a.store.current('test-feed')?.version, a.store.state('test-feed').previous?.version], [4, 5]);
      const kinds = must(await services.updatePackages.list());
      assert.equal(kinds[0]?.current, 4);
      assert.ok(kinds[0]?.versions.find((v) => v.version === 5)?.withdrawnAt);
      const audit = must(await services.audit.list({ targetKind: 'update-package' }));
      assert.ok(audit.items.some((e) => e.action === 'update-package.rollback'));
    });

    it('rollback on the host holds the version back until the manager names another', async () => {
      const { channel, calls } = channelTo(services);
      const a = agent('agent-host', channel);
      assert.equal(await a.sync.sync(await wanted()), true);
      must(await services.updatePackages.importPackage('test-feed', Buffer.from('six'), '', admin));
      const refs = await wanted();
      assert.equal(await a.sync.sync(refs), true);
      assert.equal(a.store.current('test-feed')?.version, 6);
      const swapped = a.store.swap('test-feed', true);
      assert.ok(swapped.ok);
      assert.equal(a.store.current('test-feed')?.version, 4);
      const fetched = calls();
      assert.equal(await a.sync.sync(refs), false);
      assert.equal(calls(), fetched, 'the held-back version is not downloaded again');
      assert.equal(a.sync.reports()[0]?.state, 'held-back');
      // What the heartbeat reports is what the manager lists, the computers behind first.
      await store.db
        .insertInto('computers')
        .values({
          id: '00000000-0000-4000-8000-000000000001',
          hostname: 'web1',
          name: 'web1',
          description: '',
          agent_version: 't',
          activated_at: 0,
          status: 'managed',
          module_status_json: '[]',
          spool_pending: 0,
          spool_dropped: 0,
          heartbeat_interval_seconds: 60,
          missed_heartbeats_before_offline: 3,
        })
        .execute();
      await services.updatePackages.recordReports('00000000-0000-4000-8000-000000000001', a.sync.reports());
      const computers = must(await services.updatePackages.computers('test-feed'));
      assert.deepEqual(
        computers.map((c) => [c.computerName, c.version, c.state, c.behind]),
        [['web1', 4, 'held-back', true]],
      );
      // The manager names a new version: the hold ends.
      must(await services.updatePackages.importPackage('test-feed', Buffer.from('seven'), '', admin));
      assert.equal(await a.sync.sync(await wanted()), true);
      assert.equal(a.store.current('test-feed')?.version, 7);
      assert.equal(a.store.state('test-feed').heldBack, null);
      assert.equal(a.store.state('test-feed').previous?.version, 4);
    });
  });
}
