import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Store } from '../storage/open-database.js';
import type { AuditRow } from '../storage/schema.js';
import { testStores } from '../storage/test-stores.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import { encodeCursor, type Page, type PageRequest } from './pagination.js';

const NEWEST_FIRST = keyset('desc', ['at', 'number'], ['id', 'string']);
const OLDEST_FIRST = keyset('asc', ['at', 'number'], ['id', 'string']);

/** Ids of fixed length in lower-case hex compare the same in JavaScript, SQLite and PostgreSQL collations. */
const rowsArb = fc.uniqueArray(
  fc.record({ id: fc.stringMatching(/^[0-9a-f]{8}$/), at: fc.integer({ min: 0, max: 4 }) }),
  { selector: (r) => r.id, maxLength: 30 },
);

for (const testStore of await testStores()) {
  describe(`keyset pagination (${testStore.name})`, { skip: testStore.skip }, () => {
    let store: Store;
    before(async () => {
      store = await testStore.open();
    });
    after(async () => {
      await store?.close();
    });

    async function fill(rows: readonly { id: string; at: number }[]): Promise<void> {
      await store.db.deleteFrom('audit_log').execute();
      if (rows.length === 0) return;
      await store.db
        .insertInto('audit_log')
        .values(
          rows.map((r) => ({
            ...r,
            actor_kind: 'system',
            actor_id: null,
            actor_name: 'test',
            action: 'test',
            target_kind: 'test',
            target_id: null,
            before_json: null,
            after_json: null,
          })),
        )
        .execute();
    }

    async function pageThrough(order: typeof NEWEST_FIRST, limit: number): Promise<string[]> {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const request: PageRequest = { limit, cursor };
        const paged = keysetQuery(store.db.selectFrom('audit_log').selectAll(), order, request);
        assert.ok(paged.ok);
        const rows: AuditRow[] = await paged.value.query.execute();
        const page: Page<string> = keysetToPage(rows, paged.value.limit, order, (r) => r.id);
        assert.ok(page.items.length <= limit);
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (cursor === null) return seen;
      }
      throw new Error('more pages than rows');
    }

    it('pages through every row once, in order, whatever the page size and however many ties', async () => {
      await fc.assert(
        fc.asyncProperty(rowsArb, fc.integer({ min: 1, max: 7 }), async (rows, limit) => {
          await fill(rows);
          const byAtThenId = [...rows].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
          assert.deepEqual(
            await pageThrough(OLDEST_FIRST, limit),
            byAtThenId.map((r) => r.id),
          );
          assert.deepEqual(await pageThrough(NEWEST_FIRST, limit), byAtThenId.map((r) => r.id).reverse());
        }),
        { numRuns: 25 },
      );
    });

    it('refuses a cursor that is not one of the list’s with a validation failure (400)', () => {
      const query = store.db.selectFrom('audit_log').selectAll();
      for (const cursor of [
        'not a cursor!',
        'x'.repeat(2000),
        Buffer.from('{"at":1}').toString('base64url'),
        encodeCursor([1]),
        encodeCursor(['1', 'a']),
        encodeCursor([1, 'a', 'b']),
      ]) {
        const paged = keysetQuery(query, NEWEST_FIRST, { cursor });
        assert.equal(paged.ok, false, cursor);
        if (!paged.ok) {
          assert.equal(paged.error.kind, 'validation');
          assert.match(paged.error.message, /cursor is not valid here; start again without a cursor/);
        }
      }
      assert.equal(keysetQuery(query, NEWEST_FIRST, { cursor: encodeCursor([1, 'a']) }).ok, true);
      const tooMany = keysetQuery(query, NEWEST_FIRST, { limit: 501 });
      assert.ok(!tooMany.ok && tooMany.error.kind === 'validation');
    });
  });
}
