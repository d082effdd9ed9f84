import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../storage/open-database.js';
import { testStores } from '../storage/test-stores.js';
import { createCertificateAuthority } from './certificate-authority.js';
import { type CaMaterial, keyMatchesCertificate, openCaKey, reconcileClusterCa, sealCaKey } from './cluster-ca.js';

const KEY = 'kkkkkkkkkkkkkkkk-cluster-key-for-tests-0123456789';
const OTHER_KEY = 'oooooooooooooooo-another-cluster-key-0123456789ab';

describe('sealing the CA key with the cluster key', () => {
  it('opens with the same key only', async () => {
    const ca = await createCertificateAuthority();
    const box = await sealCaKey(ca.keyPem, KEY);
    assert.doesNotMatch(box, /PRIVATE KEY/);
    assert.deepEqual(await openCaKey(box, KEY), { ok: true, keyPem: ca.keyPem });
    const wrong = await openCaKey(box, OTHER_KEY);
    assert.equal(wrong.ok, false);
    const changed = JSON.parse(box);
    changed.data = Buffer.from('x'.repeat(40)).toString('base64');
    assert.equal((await openCaKey(JSON.stringify(changed), KEY)).ok, false);
    assert.equal((await openCaKey('not json', KEY)).ok, false);
  });

  it('tells a key that belongs to its certificate from one that does not', async () => {
    const a = await createCertificateAuthority();
    const b = await createCertificateAuthority();
    assert.equal(keyMatchesCertificate(a), true);
    assert.equal(keyMatchesCertificate({ certPem: a.certPem, keyPem: b.keyPem }), false);
  });
});

for (const testStore of await testStores()) {
  describe(`the cluster's CA (${testStore.name})`, { skip: testStore.skip }, () => {
    let store: Store;
    let nodeA: CaMaterial;
    before(async () => {
      store = await testStore.open();
      nodeA = await createCertificateAuthority();
    });
    after(async () => {
      await store?.close();
    });
    const options = (clusterKey?: string) => ({
      ...(clusterKey === undefined ? {} : { clusterKey }),
      createCa: createCertificateAuthority,
      now: () => 1_000,
    });

    it('the first node founds it with its own CA; the same CA then matches', async () => {
      const first = await reconcileClusterCa(store.db, nodeA, options(KEY));
      assert.equal(first.ok && first.outcome, 'founded');
      const again = await reconcileClusterCa(store.db, nodeA, options(KEY));
      assert.equal(again.ok && again.outcome, 'matched');
      const row = await store.db.selectFrom('cluster_ca').selectAll().executeTakeFirstOrThrow();
      assert.ok(row.key_box !== null && !row.key_box.includes('PRIVATE KEY'), 'the key is kept sealed only');
    });

    it('a new node with the cluster key takes the cluster CA, key and all', async () => {
      const joined = await reconcileClusterCa(store.db, null, options(KEY));
      assert.ok(joined.ok, joined.ok ? '' : joined.reason);
      assert.equal(joined.outcome, 'joined');
      assert.equal(joined.ca.certPem, nodeA.certPem);
      assert.equal(joined.ca.keyPem, nodeA.keyPem);
    });

    it('refuses a node without the key, with the wrong key, or with a CA of its own', async () => {
      const noKey = await reconcileClusterCa(store.db, null, options());
      assert.equal(noKey.ok, false);
      assert.match(noKey.ok ? '' : noKey.reason, /--cluster-key-file/);
      const wrongKey = await reconcileClusterCa(store.db, null, options(OTHER_KEY));
      assert.equal(wrongKey.ok, false);
      assert.match(wrongKey.ok ? '' : wrongKey.reason, /does not open/);
      const own = await reconcileClusterCa(store.db, await createCertificateAuthority(), options(KEY));
      assert.equal(own.ok, false);
      assert.match(own.ok ? '' : own.reason, /is not the cluster's/);
      const shortKey = await reconcileClusterCa(store.db, nodeA, options('short'));
      assert.equal(shortKey.ok, false);
    });
  });

  describe(`a cluster founded without a key (${testStore.name})`, { skip: testStore.skip }, () => {
    let store: Store;
    before(async () => {
      store = await testStore.open();
    });
    after(async () => {
      await store?.close();
    });
    const options = (clusterKey?: string) => ({
      ...(clusterKey === undefined ? {} : { clusterKey }),
      createCa: createCertificateAuthority,
      now: () => 1_000,
    });

    it('a new node cannot take the CA until a node that holds it brings the key', async () => {
      const nodeA = await createCertificateAuthority();
      assert.equal((await reconcileClusterCa(store.db, nodeA, options())).ok, true);
      const blocked = await reconcileClusterCa(store.db, null, options(KEY));
      assert.equal(blocked.ok, false);
      assert.match(blocked.ok ? '' : blocked.reason, /copy pki\/ca.key/);
      // Node A restarts with the cluster key: it seals the key it holds into the database.
      assert.equal((await reconcileClusterCa(store.db, nodeA, options(KEY))).ok, true);
      const joined = await reconcileClusterCa(store.db, null, options(KEY));
      assert.equal(joined.ok && joined.ca.keyPem, nodeA.keyPem);
    });

    it('two empty nodes starting together end with one CA', async () => {
      await store.db.deleteFrom('cluster_ca').execute();
      const [a, b] = await Promise.all([
        reconcileClusterCa(store.db, null, options(KEY)),
        reconcileClusterCa(store.db, null, options(KEY)),
      ]);
      assert.ok(a.ok && b.ok);
      assert.equal(a.ca.certPem, b.ca.certPem);
      assert.deepEqual([a.outcome, b.outcome].sort(), ['founded', 'joined']);
    });
  });
}
