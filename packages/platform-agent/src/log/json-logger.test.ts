import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { jsonLogger } from './json-logger.js';

test("lines have the manager's (pino's) shape: numeric level, epoch time, pid, hostname, msg, fields", () => {
  const lines: string[] = [];
  const log = jsonLogger({ level: 'info', write: (line) => lines.push(line) });
  log.debug('not shown');
  log.info('heartbeat sent', { computerId: 'c1' });
  log.child({ module: 'firewall' }).error('nft failed', { token: 'bwt_secret', nested: { password: 'x' } });
  assert.equal(lines.length, 2);
  const first = JSON.parse(lines[0]!);
  assert.equal(first.level, 30);
  assert.equal(typeof first.time, 'number');
  assert.ok(Math.abs(first.time - Date.now()) < 60_000);
  assert.equal(first.pid, process.pid);
  assert.equal(first.hostname, hostname());
  assert.equal(first.msg, 'heartbeat sent');
  assert.equal(first.computerId, 'c1');
  const second = JSON.parse(lines[1]!);
  assert.equal(second.level, 50);
  assert.equal(second.module, 'firewall');
  // Secrets never reach a line, whatever a caller passes.
  assert.equal(second.token, '[redacted]');
  assert.equal(second.nested.password, '[redacted]');
});
