import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentCommand, AgentModule } from '@bulwark/protocol';
import type { ChannelResult } from '../channel/manager-channel.js';
import { jsonLogger } from '../log/json-logger.js';
import { CommandRunner, executeCommand } from './command-runner.js';

const quiet = jsonLogger({ write: () => {} });

function fakeModule(run?: AgentModule['run']): AgentModule {
  return {
    id: 'sample',
    apply: async () => {},
    stop: async () => {},
    status: () => ({ id: 'sample', state: 'on' }),
    ...(run ? { run } : {}),
  };
}

const command = (id: string, name = 'scan'): AgentCommand => ({
  id,
  module: 'sample',
  command: name,
  arguments: { ruleId: 'r' },
});

describe('executeCommand', () => {
  it('answers every failure as an outcome with a message', async () => {
    assert.match((await executeCommand(undefined, command('1'))).message ?? '', /module sample is not running/);
    assert.match((await executeCommand(fakeModule(), command('1'))).message ?? '', /takes no commands/);
    const thrown = await executeCommand(
      fakeModule(async (name) => {
        throw new Error(`unknown command "${name}"`);
      }),
      command('1', 'nope'),
    );
    assert.deepEqual(thrown, { status: 'failed', message: 'sample nope: unknown command "nope"' });
    const slow = await executeCommand(
      fakeModule(() => new Promise(() => {})),
      command('1'),
      20,
    );
    assert.match(slow.message ?? '', /did not finish within 0.02 s/);
  });

  it('passes the arguments and returns the result; a huge result is left out with a note', async () => {
    const ok = await executeCommand(
      fakeModule(async (name, args) => ({ name, args })),
      command('1'),
    );
    assert.deepEqual(ok, { status: 'succeeded', result: { name: 'scan', args: { ruleId: 'r' } } });
    const huge = await executeCommand(
      fakeModule(async () => 'x'.repeat(300_000)),
      command('1'),
    );
    assert.equal(huge.status, 'succeeded');
    assert.equal(huge.result, undefined);
    assert.match(huge.message ?? '', /result left out: 300002 bytes/);
  });
});

describe('CommandRunner', () => {
  it('runs each command id once, reports its outcome, retries a report the manager did not take', async () => {
    const runs: string[] = [];
    const reports: { path: string; body: unknown }[] = [];
    let failures = 1;
    const channel = {
      call: async (_method: string, path: string, body: unknown): Promise<ChannelResult<never>> => {
        reports.push({ path, body });
        if (failures-- > 0) return { ok: false, message: 'manager away', retryable: true };
        return { ok: true, value: { id: 'x', status: 'succeeded' } as never };
      },
    };
    let finished = 0;
    const runner = new CommandRunner({
      module: () => fakeModule(async (name) => runs.push(name)),
      channel: channel as never,
      log: quiet,
      signal: new AbortController().signal,
      onFinished: () => finished++,
    });
    runner.accept([command('a'), command('a')]);
    runner.accept([command('a')]);
    await runner.idle();
    assert.deepEqual(runs, ['scan']);
    assert.equal(finished, 1);
    assert.equal(reports.length, 2);
    assert.equal(reports[1]!.path, '/agent/v1/commands/a/outcome');
    assert.deepEqual(reports[1]!.body, { status: 'succeeded', result: 1 });
  });
});
