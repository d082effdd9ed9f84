import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NewEvent } from '@bulwark/protocol';
import { destinationsService } from '../../packages/platform-manager/src/forwarding/destinations.js';
import { type RunningForwarder, startForwarding } from '../../packages/platform-manager/src/forwarding/forwarder.js';
import {
  activateComputer,
  alice,
  must,
  openTestServices,
  type TestServices,
} from '../../packages/platform-manager/src/services/test-services.js';
import { testStores } from '../../packages/platform-manager/src/storage/test-stores.js';

const identity = { vendor: 'Bulwark', product: 'Bulwark', version: '0.1.0' };

/** A loopback TCP collector that decodes RFC 6587 octet-counted frames (what rsyslog does with them). */
class FrameCollector {
  readonly messages: string[] = [];
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async listen(port = 0): Promise<void> {
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const space = buffer.indexOf(0x20);
          if (space < 0) return;
          const length = Number(buffer.subarray(0, space).toString('ascii'));
          if (buffer.length < space + 1 + length) return;
          this.messages.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
          buffer = buffer.subarray(space + 1 + length);
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const address = server.address();
    this.port = typeof address === 'object' && address !== null ? address.port : 0;
    this.server = server;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  summaries(): string[] {
    return this.messages.map((m) => (JSON.parse(m.slice(m.indexOf(' - {') + 3)) as { summary: string }).summary);
  }

  async waitFor(count: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.messages.length} of ${count} messages arrived`);
      await sleep(20);
    }
  }
}

let nextSeq = 1;
function events(prefix: string, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    module: 'firewall',
    type: 'packet',
    severity: 'low',
    summary: `${prefix} ${i}`,
    seq: nextSeq++,
    time: new Date().toISOString(),
  })) satisfies (NewEvent & { seq: number })[];
}

for (const store of await testStores()) {
  describe(`forwarding queue (${store.name})`, { skip: store.skip }, () => {
    let t: TestServices;
    let computerId: string;
    let forwarder: RunningForwarder | null = null;
    const collector = new FrameCollector();
    const destinations = () => destinationsService(t.store.db, t.clock.now);
    /** Resolves once `count` turns that began after this call have ended (the one under way when called does not count). */
    async function wholeTurns(count: number): Promise<void> {
      const running = forwarder;
      assert.ok(running, 'the forwarder is started');
      const target = running.turnsEnded + count + 1;
      const deadline = Date.now() + 15_000;
      while (running.turnsEnded < target) {
        assert.ok(Date.now() < deadline, `the forwarder ended ${running.turnsEnded} of ${target} turns in 15 s`);
        running.poke();
        await sleep(10);
      }
    }

    before(async () => {
      t = await openTestServices(store);
      computerId = await activateComputer(t.services, 'db-1', null);
      await collector.listen();
    });
    after(async () => {
      await forwarder?.stop();
      await collector.close();
      await t?.close();
    });

    test('only events stored after a destination is created are forwarded; then every one, in order', async () => {
      must(await t.services.events.ingest(computerId, events('before', 3)));
      const destination = must(
        await destinations().create(
          { name: 'json', transport: 'tcp', host: '127.0.0.1', port: collector.port, format: 'json', maxBacklog: 10 },
          alice,
        ),
      );
      must(await t.services.events.ingest(computerId, events('first', 5)));
      forwarder = startForwarding({
        db: t.store.db,
        identity,
        pollIntervalMs: 30,
        minRetryMs: 50,
        maxRetryMs: 200,
        boundCheckIntervalMs: 50,
      });
      await collector.waitFor(5);
      assert.deepEqual(collector.summaries(), ['first 0', 'first 1', 'first 2', 'first 3', 'first 4']);
      const status = must(await destinations().status(destination.id));
      assert.equal(status.sent, 5);
      assert.equal(status.backlog, 0);
    });

    test('past maxBacklog the oldest are skipped, counted and reported; the newest arrive', async () => {
      const [destination] = must(await destinations().list());
      assert.ok(destination);
      const port = collector.port;
      await collector.close();
      must(await t.services.events.ingest(computerId, events('outage', 25)));
      forwarder?.poke();
      const deadline = Date.now() + 15_000;
      let status = must(await destinations().status(destination.id));
      while ((status.skipped === 0 || status.lastError === null) && Date.now() < deadline) {
        await sleep(30);
        status = must(await destinations().status(destination.id));
      }
      assert.equal(status.skipped, 15);
      assert.equal(status.backlog, 10);
      assert.notEqual(status.lastError, null);
      collector.messages.length = 0;
      await collector.listen(port);
      await collector.waitFor(10);
      assert.deepEqual(
        collector.summaries(),
        Array.from({ length: 10 }, (_, i) => `outage ${15 + i}`),
      );
    });

    // SQLite serialises writers, so there commit order is ingest order and this case cannot arise.
    const postgresOnly = store.name === 'postgres' ? test : () => {};
    postgresOnly('two manager nodes on one database send each event once', async () => {
      collector.messages.length = 0;
      const [destination] = must(await destinations().list());
      assert.ok(destination);
      must(await destinations().update(destination.id, { maxBacklog: 100_000 }, alice));
      const second = startForwarding({ db: t.store.db, identity, pollIntervalMs: 10, boundCheckIntervalMs: 50 });
      try {
        for (let i = 0; i < 4; i++) {
          must(await t.services.events.ingest(computerId, events(`node${i}`, 50)));
          // Spreads the ingests over several polls of both nodes (traffic shape, not a wait for an assert).
          await sleep(20);
        }
        await collector.waitFor(200);
      } finally {
        // stop() waits for the node's turn in progress: whatever it was sending has been sent.
        await second.stop();
      }
      // The remaining node sends in order: once a later event arrived, any second copy of the
      // earlier ones it could send has arrived too.
      must(await t.services.events.ingest(computerId, events('after', 1)));
      forwarder?.poke();
      await collector.waitFor(201);
      const summaries = collector.summaries().filter((s) => s !== 'after 0');
      assert.equal(summaries.length, 200);
      assert.equal(new Set(summaries).size, 200, 'no event sent twice');
    });

    postgresOnly('an event whose transaction commits after a later one is still forwarded', async () => {
      collector.messages.length = 0;
      // A transaction that stores an event and stays open while another stores and commits.
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let stored: () => void = () => {};
      const insertedSlow = new Promise<void>((resolve) => {
        stored = resolve;
      });
      // Another computer: on PostgreSQL one computer's batches are stored one at a time (events.ts),
      // so a second batch of the same computer would wait for the open transaction.
      const otherComputer = await activateComputer(t.services, 'db-2', null);
      const slow = t.store.db.transaction().execute(async (trx) => {
        const { createServices } = await import('../../packages/platform-manager/src/services/index.js');
        must(await createServices({ db: trx }).events.ingest(otherComputer, events('slow', 1)));
        stored();
        await held;
      });
      await insertedSlow;
      must(await t.services.events.ingest(computerId, events('fast', 1)));
      // Turns while the earlier transaction is open, in which a forwarder that trusted commit order
      // would send the later event and move past the earlier one for good.
      await wholeTurns(2);
      release();
      await slow;
      await collector.waitFor(2);
      assert.deepEqual(collector.summaries().sort(), ['fast 0', 'slow 0']);
    });

    test('a disabled destination sends and queues nothing; enabled again it forwards what is stored from then on', async () => {
      const [destination] = must(await destinations().list());
      assert.ok(destination);
      must(await destinations().update(destination.id, { enabled: false, maxBacklog: 100_000 }, alice));
      // The forwarder reads `enabled` at each turn: once a whole turn began after the update, it saw it.
      await wholeTurns(1);
      collector.messages.length = 0;
      must(await t.services.events.ingest(computerId, events('paused', 3)));
      // Turns while disabled, with events to send: they must send nothing.
      forwarder?.poke();
      await wholeTurns(2);
      assert.deepEqual(collector.messages, []);
      must(await destinations().update(destination.id, { enabled: true }, alice));
      must(await t.services.events.ingest(computerId, events('resumed', 2)));
      // Events go out in order: had the paused ones been sent or queued, they would come first.
      await collector.waitFor(2);
      assert.deepEqual(collector.summaries().slice(0, 2), ['resumed 0', 'resumed 1']);
      // And nothing after them: a later event is the next to arrive.
      must(await t.services.events.ingest(computerId, events('later', 1)));
      await collector.waitFor(3);
      assert.deepEqual(collector.summaries(), ['resumed 0', 'resumed 1', 'later 0']);
    });
  });
}
