import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { COMMANDS } from './commands/index.js';
import { runCli } from './run-cli.js';

async function run(argv: string[], env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  stderr.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const code = await runCli(argv, { stdout, stderr, stdin: new PassThrough(), env });
  return { code, out, err };
}

describe('runCli without a manager', () => {
  it('lists every command in --help', async () => {
    const { code, out } = await run(['--help']);
    assert.equal(code, 0);
    for (const command of COMMANDS) assert.ok(out.includes(`bulwark ${command.group} ${command.name}`), command.name);
  });

  it('answers help as JSON with --json', async () => {
    const { code, out } = await run(['--json', '--help']);
    assert.equal(code, 0);
    const commands = JSON.parse(out) as { command: string }[];
    assert.equal(commands.length, COMMANDS.length);
  });

  it('shows a command’s options in its help', async () => {
    const { code, out } = await run(['tokens', 'create', '--help']);
    assert.equal(code, 0);
    assert.match(out, /--expires-in D/);
    assert.match(out, /Exit codes:/);
  });

  it('refuses to run without a manager, an API key or a valid URL', async () => {
    const noManager = await run(['computers', 'list']);
    assert.equal(noManager.code, 2);
    assert.match(noManager.err, /^error: no manager given\nPass --manager/);
    const noKey = await run(['computers', 'list'], { BULWARK_MANAGER: 'https://127.0.0.1:4119' });
    assert.equal(noKey.code, 3);
    const badUrl = await run(['--manager', 'ftp://x', '--api-key', 'k', 'computers', 'list']);
    assert.equal(badUrl.code, 2);
    const badPin = await run([
      '--manager',
      'https://x',
      '--api-key',
      'k',
      '--ca-fingerprint',
      'zz',
      'computers',
      'list',
    ]);
    assert.equal(badPin.code, 2);
    assert.match(badPin.err, /64 hex digits/);
  });

  it('prints errors as JSON on stdout too with --json', async () => {
    const { code, out, err } = await run(['--json', 'events', 'list', '--severity', 'loud'], {
      BULWARK_MANAGER: 'https://127.0.0.1:4119',
      BULWARK_API_KEY: 'k',
    });
    assert.equal(code, 2);
    assert.match(err, /^error: --severity must be one of/);
    assert.deepEqual(JSON.parse(out), {
      error: { message: '--severity must be one of info, low, medium, high, critical, got "loud"', exitCode: 2 },
    });
  });

  it('reports a missing CA file before connecting', async () => {
    const { code, err } = await run([
      '--manager',
      'https://127.0.0.1:1',
      '--api-key',
      'k',
      '--ca',
      '/nonexistent/ca.crt',
      'policies',
      'list',
    ]);
    assert.equal(code, 2);
    assert.match(err, /cannot read the CA file \/nonexistent\/ca\.crt \(ENOENT\)/);
    assert.match(err, /<dataDir>\/pki\/ca\.crt/);
  });
});
