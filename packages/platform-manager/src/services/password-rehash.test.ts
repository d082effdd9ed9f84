import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { testStores } from '../storage/test-stores.js';
import { SYSTEM_ACTOR } from './roles.js';
import { SCRYPT } from './secrets.js';
import { must, openTestServices, type TestServices } from './test-services.js';

/** A hash as the manager made them before issue 10: scrypt N=2^14. */
function oldHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 64, { N: 16_384, r: 8, p: 1 });
  return ['scrypt', 16_384, 8, 1, salt.toString('base64'), key.toString('base64')].join('$');
}

for (const testStore of await testStores()) {
  describe(`password hashes (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await openTestServices(testStore);
    });
    after(async () => {
      await t?.close();
    });

    it(`new hashes use OWASP's scrypt figure; an older hash is rewritten at the next sign-in`, async () => {
      assert.equal(SCRYPT.N, 131_072);
      const user = must(
        await t.services.users.create({ username: 'carol', password: 'first password', role: 'auditor' }, SYSTEM_ACTOR),
      );
      const stored = async () =>
        (
          await t.store.db
            .selectFrom('users')
            .select('password_hash')
            .where('id', '=', user.id)
            .executeTakeFirstOrThrow()
        ).password_hash;
      assert.match(await stored(), /^scrypt\$131072\$8\$1\$/);
      await t.store.db
        .updateTable('users')
        .set({ password_hash: oldHash('old password') })
        .where('id', '=', user.id)
        .execute();
      assert.equal((await t.services.users.verifyPassword('carol', 'wrong password')).ok, false);
      assert.match(await stored(), /^scrypt\$16384\$/, 'a failed sign-in rewrites nothing');
      must(await t.services.users.verifyPassword('carol', 'old password'));
      assert.match(await stored(), /^scrypt\$131072\$8\$1\$/);
      must(await t.services.users.verifyPassword('carol', 'old password'));
    });
  });
}
