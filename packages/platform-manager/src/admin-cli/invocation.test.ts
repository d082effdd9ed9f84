import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ExitCode } from './cli-error.js';
import { COMMANDS } from './commands/index.js';
import { parseInvocation } from './invocation.js';

function run(argv: string[], env: Record<string, string> = {}) {
  const result = parseInvocation(argv, env, COMMANDS);
  if (!result.ok) return { error: result.error } as const;
  return { invocation: result.value } as const;
}

describe('parseInvocation', () => {
  it('reads global options before the command and command options after it', () => {
    const { invocation } = run([
      '--manager',
      'https://m:4119',
      '--json',
      'policies',
      'create',
      'Web',
      '--parent',
      'none',
    ]);
    assert.equal(invocation?.kind, 'run');
    if (invocation?.kind !== 'run') return;
    assert.equal(invocation.command.group, 'policies');
    assert.equal(invocation.command.name, 'create');
    assert.deepEqual(invocation.input.positionals, ['Web']);
    assert.equal(invocation.input.values.parent, 'none');
    assert.equal(invocation.settings.manager, 'https://m:4119');
    assert.equal(invocation.settings.json, true);
  });

  it('accepts global options after the command words too', () => {
    const { invocation } = run(['computers', 'list', '--json', '--manager=https://x', '--api-key', 'k']);
    assert.equal(invocation?.kind, 'run');
    if (invocation?.kind !== 'run') return;
    assert.equal(invocation.settings.json, true);
    assert.equal(invocation.settings.manager, 'https://x');
    assert.equal(invocation.settings.apiKey, 'k');
  });

  it('falls back to BULWARK_* variables, and flags win over them', () => {
    const env = { BULWARK_MANAGER: 'https://env', BULWARK_API_KEY: 'envkey', BULWARK_CA: '/etc/ca.crt' };
    const fromEnv = run(['alerts', 'list'], env).invocation;
    assert.equal(fromEnv?.kind, 'run');
    if (fromEnv?.kind !== 'run') return;
    assert.equal(fromEnv.settings.manager, 'https://env');
    assert.equal(fromEnv.settings.apiKey, 'envkey');
    assert.equal(fromEnv.settings.caFile, '/etc/ca.crt');
    const flags = run(['--manager', 'https://flag', '--ca-fingerprint', 'AB', 'alerts', 'list'], env).invocation;
    if (flags?.kind !== 'run') return assert.fail('expected a run');
    assert.equal(flags.settings.manager, 'https://flag');
    assert.equal(flags.settings.caFingerprint, 'AB');
    assert.equal(flags.settings.caFile, undefined, 'BULWARK_CA must not clash with --ca-fingerprint');
  });

  it('answers help for no command, for a group and for one command', () => {
    assert.deepEqual(run([]).invocation, { kind: 'help', topic: [], json: false });
    assert.deepEqual(run(['--help']).invocation, { kind: 'help', topic: [], json: false });
    assert.deepEqual(run(['settings']).invocation, { kind: 'help', topic: ['settings'], json: false });
    assert.deepEqual(run(['settings', '--help']).invocation, { kind: 'help', topic: ['settings'], json: false });
    assert.deepEqual(run(['settings', 'set', '-h']).invocation, {
      kind: 'help',
      topic: ['settings', 'set'],
      json: false,
    });
  });

  it('refuses unknown commands, unknown options and wrong argument counts as usage errors', () => {
    for (const argv of [
      ['frobnicate'],
      ['computers', 'frobnicate'],
      ['computers', 'list', '--bogus'],
      ['computers', 'show'],
      ['computers', 'show', 'a', 'b'],
      ['--bogus', 'computers', 'list'],
      ['policies', 'list', '--tree=yes'],
    ]) {
      const { error } = run(argv);
      assert.equal(error?.exitCode, ExitCode.usage, argv.join(' '));
    }
  });

  it('never throws, whatever the argument vector', () => {
    const word = fc.oneof(
      fc.constantFrom(
        'computers',
        'list',
        'show',
        'settings',
        'set',
        '--json',
        '--manager',
        '--ca',
        '-h',
        '--',
        '--policy',
        '=',
      ),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
        const result = parseInvocation(argv, {}, COMMANDS);
        if (!result.ok) assert.equal(result.error.exitCode, ExitCode.usage);
      }),
      { numRuns: 500 },
    );
  });
});
