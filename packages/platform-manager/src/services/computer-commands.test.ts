import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HeartbeatRequest, ManagerModule } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import { testStores } from '../storage/test-stores.js';
import { COMMAND_PICKUP_DEADLINE_MS, COMMAND_RUN_DEADLINE_MS } from './computer-commands.js';
import {
  activateComputer,
  alice,
  must,
  mustFail,
  openTestServices,
  sampleModule,
  type TestServices,
} from './test-services.js';

/** A module that declares its commands, beside the sample one that does not. */
const commanded: ManagerModule = {
  ...sampleModule,
  id: 'commanded',
  commands: [
    { name: 'scan', description: 'scan now', arguments: Type.Object({ ruleId: Type.Optional(Type.String()) }) },
    { name: 'ping', description: 'anything' },
  ],
};

function heartbeat(extra: Partial<HeartbeatRequest> = {}): HeartbeatRequest {
  return {
    appliedConfigurationVersion: null,
    modules: [],
    spool: { pendingEvents: 0, droppedEvents: 0 },
    agentVersion: '0.2.0',
    acceptsCommands: true,
    ...extra,
  };
}

for (const testStore of await testStores()) {
  describe(`computer commands (${testStore.name})`, { skip: testStore.skip }, () => {
    let t: TestServices;
    before(async () => {
      t = await openTestServices(testStore, [sampleModule, commanded]);
    });
    after(async () => {
      await t?.close();
    });

    it('refuses unknown modules, undeclared commands, bad arguments and unknown computers', async () => {
      const { computerCommands } = t.services;
      const id = await activateComputer(t.services, 'validate');
      mustFail(
        await computerCommands.create(id, { module: 'nope', command: 'scan' }, alice),
        'validation',
        /known modules: sample, commanded/,
      );
      mustFail(
        await computerCommands.create(id, { module: 'commanded', command: 'sacn' }, alice),
        'validation',
        /its commands: scan, ping/,
      );
      const bad = await computerCommands.create(
        id,
        { module: 'commanded', command: 'scan', arguments: { ruleId: 7 } },
        alice,
      );
      assert.ok(!bad.ok);
      assert.equal(bad.error.issues?.[0]?.path, '/arguments/ruleId');
      mustFail(
        await computerCommands.create(id, { module: 'sample', command: 'Bad Name' }, alice),
        'validation',
        /lower-case/,
      );
      mustFail(
        await computerCommands.create(crypto.randomUUID(), { module: 'sample', command: 'anything' }, alice),
        'not-found',
      );
      // A module that declares nothing takes any well-formed name: its agent side answers for it.
      must(await computerCommands.create(id, { module: 'sample', command: 'anything' }, alice));
    });

    it('queued → sent in a heartbeat answer → succeeded; the outcome is idempotent; an audit row per command', async () => {
      const { computerCommands, computers, audit } = t.services;
      const id = await activateComputer(t.services, 'flow');
      const created = must(
        await computerCommands.create(id, { module: 'commanded', command: 'scan', arguments: { ruleId: 'r1' } }, alice),
      );
      assert.equal(created.status, 'queued');
      assert.equal(created.createdBy, 'alice');
      const answer = must(await computers.heartbeat(id, heartbeat()));
      assert.deepEqual(answer.commands, [
        { id: created.id, module: 'commanded', command: 'scan', arguments: { ruleId: 'r1' } },
      ]);
      assert.equal(must(await computerCommands.get(id, created.id)).status, 'sent');
      // Sent once: the next heartbeat has nothing, and its answer has no commands field at all.
      assert.equal('commands' in must(await computers.heartbeat(id, heartbeat())), false);

      assert.deepEqual(
        must(await computerCommands.recordOutcome(id, created.id, { status: 'succeeded', result: { n: 3 } })),
        {
          id: created.id,
          status: 'succeeded',
        },
      );
      // A repeat (the agent retrying after a lost answer) changes nothing.
      assert.deepEqual(
        must(await computerCommands.recordOutcome(id, created.id, { status: 'failed', message: 'late' })),
        {
          id: created.id,
          status: 'succeeded',
        },
      );
      const done = must(await computerCommands.get(id, created.id));
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.result, { n: 3 });
      assert.ok(done.finishedAt !== null && done.sentAt !== null);

      const other = await activateComputer(t.services, 'other');
      mustFail(await computerCommands.recordOutcome(other, created.id, { status: 'failed' }), 'not-found');
      mustFail(await computerCommands.get(other, created.id), 'not-found');

      const rows = must(await audit.list({ targetKind: 'computer', targetId: id })).items;
      assert.equal(rows.filter((r) => r.action === 'computer.command').length, 1);
    });

    it('an agent that does not take commands fails them at once, and its answer stays the old shape', async () => {
      const { computerCommands, computers } = t.services;
      const id = await activateComputer(t.services, 'old-agent');
      const created = must(await computerCommands.create(id, { module: 'sample', command: 'x' }, alice));
      const answer = must(
        await computers.heartbeat(id, heartbeat({ acceptsCommands: undefined, agentVersion: '0.1.0' })),
      );
      assert.equal('commands' in answer, false);
      const failed = must(await computerCommands.get(id, created.id));
      assert.equal(failed.status, 'failed');
      assert.match(failed.message ?? '', /version 0\.1\.0\) does not take commands; upgrade it/);
    });

    it('expires a command not fetched in time, and one sent but never reported', async () => {
      const { computerCommands, computers } = t.services;
      const id = await activateComputer(t.services, 'expiry');
      const stale = must(await computerCommands.create(id, { module: 'sample', command: 'a' }, alice));
      t.clock.advance(COMMAND_PICKUP_DEADLINE_MS + 1);
      const expired = must(await computerCommands.get(id, stale.id));
      assert.equal(expired.status, 'failed');
      assert.match(expired.message ?? '', /did not fetch the command within 1 h/);

      const sent = must(await computerCommands.create(id, { module: 'sample', command: 'b' }, alice));
      assert.equal(must(await computers.heartbeat(id, heartbeat())).commands?.length, 1);
      t.clock.advance(COMMAND_RUN_DEADLINE_MS + 1);
      must(await computers.heartbeat(id, heartbeat()));
      const lost = must(await computerCommands.get(id, sent.id));
      assert.equal(lost.status, 'failed');
      assert.match(lost.message ?? '', /no outcome from the agent within 6 h/);
    });

    it('lists newest first in pages; refuses a deactivated computer', async () => {
      const { computerCommands, computers } = t.services;
      const id = await activateComputer(t.services, 'pages');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(must(await computerCommands.create(id, { module: 'sample', command: `c${i}` }, alice)).id);
        t.clock.advance(i % 2 === 0 ? 0 : 10);
      }
      const first = must(await computerCommands.list(id, { limit: 3 }));
      assert.equal(first.items.length, 3);
      const second = must(await computerCommands.list(id, { limit: 3, cursor: first.nextCursor }));
      assert.equal(second.nextCursor, null);
      assert.deepEqual(
        [...first.items, ...second.items].map((c) => c.id),
        [...ids].reverse(),
      );
      mustFail(await computerCommands.list(id, { cursor: 'garbage!' }), 'validation');
      mustFail(await computerCommands.list(crypto.randomUUID()), 'not-found');

      must(await computers.deactivate(id, alice));
      mustFail(
        await computerCommands.create(id, { module: 'sample', command: 'late' }, alice),
        'conflict',
        /deactivated/,
      );
    });
  });
}
