import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type CliConsole, openCliConsole } from '../cli-test-console.js';

/** A syslog collector on loopback (octet-counted TCP) that keeps what it receives. */
async function collector(): Promise<{ server: Server; port: number; received: () => string }> {
  let received = '';
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { server, port: address.port, received: () => received };
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('bulwark forwarding', () => {
  let cli: CliConsole;
  let siem: Awaited<ReturnType<typeof collector>>;
  before(async () => {
    cli = await openCliConsole([]);
    siem = await collector();
  });
  after(async () => {
    siem?.server.close();
    await cli?.close();
  });

  it('creates, lists, tests, shows the status of and deletes a destination, by name', async () => {
    const created = await cli.json(
      ...['forwarding', 'create', 'Lab SIEM', '--transport', 'tcp', '--host', '127.0.0.1'],
      ...['--port', String(siem.port), '--format', 'json', '--min-severity', 'low', '--modules', 'firewall,loginspect'],
    );
    assert.equal(created.code, 0, created.err);
    const destination = created.value as { id: string; minimumSeverity: string; modules: string[] };
    assert.equal(destination.minimumSeverity, 'low');
    assert.deepEqual(destination.modules, ['firewall', 'loginspect']);

    const listed = await cli.run('forwarding', 'list');
    assert.match(listed.out, new RegExp(`Lab SIEM\\s+tcp://127\\.0\\.0\\.1:${siem.port}\\s+json\\s+low`));
    assert.deepEqual(
      ((await cli.json('forwarding', 'list')).value as { id: string }[]).map((d) => d.id),
      [destination.id],
    );

    const tested = await cli.json('forwarding', 'test', 'Lab SIEM');
    assert.equal(tested.code, 0, tested.err);
    assert.equal((tested.value as { sent: boolean }).sent, true);
    await until('the test event at the collector', () => siem.received().includes('Bulwark forwarding test'));
    assert.match(siem.received(), /"module":"forwarding","type":"test"/);

    const status = await cli.json('forwarding', 'status', destination.id);
    assert.equal(status.code, 0, status.err);
    assert.equal((status.value as { sent: number }).sent, 0, 'a test is not counted in the queue');

    const deleted = await cli.json('forwarding', 'delete', 'Lab SIEM');
    assert.equal(deleted.code, 0, deleted.err);
    assert.deepEqual(deleted.value, { id: destination.id, deleted: true });
    assert.equal((await cli.run('forwarding', 'status', 'Lab SIEM')).code, 4);
  });

  it('a destination that refuses the connection fails the test with the reason; bad options name what is allowed', async () => {
    const closed = await collector();
    closed.server.close();
    const created = await cli.json(
      ...['forwarding', 'create', 'Down', '--transport', 'tcp', '--host', '127.0.0.1'],
      ...['--port', String(closed.port), '--format', 'cef'],
    );
    assert.equal(created.code, 0, created.err);
    const tested = await cli.json('forwarding', 'test', 'Down');
    assert.equal(tested.code, 1);
    assert.match(tested.err, /could not be sent over tcp: .*ECONNREFUSED/);
    assert.match((tested.value as { error: { message: string } }).error.message, /ECONNREFUSED/);

    const badFormat = await cli.run(
      'forwarding',
      'create',
      'X',
      '--transport',
      'tcp',
      '--host',
      'h',
      '--port',
      '1',
      '--format',
      'xml',
    );
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.err, /--format must be one of cef, leef, json, got "xml"/);

    await cli.json(
      'forwarding',
      'create',
      'Down',
      '--transport',
      'udp',
      '--host',
      '127.0.0.1',
      '--port',
      '9',
      '--format',
      'cef',
    );
    const ambiguous = await cli.run('forwarding', 'delete', 'Down');
    assert.equal(ambiguous.code, 2);
    assert.match(ambiguous.err, /2 destinations are named "Down": give the id\n {2}\S+ {2}(tcp|udp):\/\//);
  });
});
