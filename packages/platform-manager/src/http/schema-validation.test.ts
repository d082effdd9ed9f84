import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_ACTOR } from '../services/roles.js';
import { must } from '../services/test-services.js';
import { testStores } from '../storage/test-stores.js';
import { openTestConsole, type TestConsole } from './test-console.js';

const [sqlite] = await testStores();

describe('validation problems from route schemas', () => {
  let t: TestConsole;
  let key: string;
  before(async () => {
    t = await openTestConsole(sqlite!, []);
    key = must(await t.services.apiKeys.create({ name: 'admin', role: 'administrator' }, SYSTEM_ACTOR)).key;
  });
  after(() => t?.close());

  it('a value outside an enum lists the allowed values, in the body and in the query', async () => {
    const body = await t.request(key, 'POST', '/api/api-keys', { name: 'x', role: 'boss' });
    assert.equal(body.statusCode, 400);
    const issue = body.json().issues.find((i: { path: string }) => i.path === 'body/role');
    assert.equal(issue?.message, 'must be one of administrator, operator, auditor; got "boss"');
    assert.doesNotMatch(body.body, /Expected union value/);

    const query = await t.request(key, 'GET', '/api/events?severity=loud');
    assert.equal(query.statusCode, 400);
    assert.match(query.body, /must be one of info, low, medium, high, critical; got \\"loud\\"/);
  });
});
