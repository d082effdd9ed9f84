import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ManagerModule } from '@bulwark/protocol';
import { openTestConsole, type TestConsole } from '../http/test-console.js';
import { SYSTEM_ACTOR } from '../services/roles.js';
import { must } from '../services/test-services.js';
import { testStores } from '../storage/test-stores.js';
import { runCli } from './run-cli.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The real console server (SQLite, HTTPS with its own CA) listening on loopback, and `bulwark` against it. */
export interface CliConsole {
  readonly t: TestConsole;
  run(...argv: string[]): Promise<CliRun>;
  /** `run` with --json, the output parsed (asserting nothing about the exit code). */
  json(...argv: string[]): Promise<CliRun & { readonly value: unknown }>;
  close(): Promise<void>;
}

export async function openCliConsole(modules: readonly ManagerModule[], stdin = ''): Promise<CliConsole> {
  const [sqlite] = await testStores();
  const t = await openTestConsole(sqlite!, modules);
  await writeFile(join(t.dir, 'ca.crt'), t.pki.caCertPem);
  const key = must(await t.services.apiKeys.create({ name: 'cli', role: 'administrator' }, SYSTEM_ACTOR)).key;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  const base = ['--manager', `https://localhost:${port}`, '--api-key', key, '--ca', join(t.dir, 'ca.crt')];
  async function run(...argv: string[]): Promise<CliRun> {
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
    const input = new PassThrough();
    input.end(stdin);
    const code = await runCli([...base, ...argv], { stdout, stderr, stdin: input, env: {} });
    return { code, out, err };
  }
  return {
    t,
    run,
    async json(...argv) {
      const answer = await run('--json', ...argv);
      return { ...answer, value: answer.out.trim() === '' ? undefined : JSON.parse(answer.out) };
    },
    close: () => t.close(),
  };
}
