/**
 * Runs inside a private mount namespace where a journald of its own writes to tmpfs (see
 * journald.test.ts): follows that journal with the real log inspection module, writes entries
 * with logger and systemd-cat, stops and restarts the module in between, and prints what it saw
 * as one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { NewEvent } from '@bulwark/protocol';
import { createLogInspectAgentFactory } from '../../modules/loginspect/agent/index.js';

const events: NewEvent[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'loginspect-journal-'));
const context = {
  dataDir,
  log: { info: () => {}, warn: () => {}, error: () => {} },
  emit: (e: NewEvent) => events.push(e),
  reportInventory: () => {},
  writeStateFile: moduleStateFileWriter(dataDir),
};
const configuration = {
  enabled: true,
  configuration: {
    minimumLevel: 5,
    sources: { files: [], journald: true, journalStart: 'now' },
    builtInGroups: [],
    custom: [
      {
        id: 'seq',
        decodersXml: '',
        rulesXml:
          '<group name="test,"><rule id="110100" level="7"><match>seq=</match><description>sequence line</description></rule></group>',
      },
    ],
    rejectedRules: [],
  },
};

async function until(count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (events.length < count) {
    if (Date.now() > deadline)
      throw new Error(
        `only ${events.length} of ${count} events: ${JSON.stringify(events.map((e) => e.details?.fullLog))}`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}

// This namespace has no /dev/log: logger writes to journald's syslog socket directly.
const logger = (text: string) =>
  execFileSync('logger', ['--socket-errors=on', '-u', '/run/systemd/journal/dev-log', '-t', 'bulwarktest', text]);
const factory = createLogInspectAgentFactory();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

logger('seq=before-first-start (not read: first start is from now)');
await pause(300);
const first = factory.create(context);
await first.apply(configuration, {} as never);
await pause(500);
logger('seq=r1 hello');
execFileSync('systemd-cat', ['-t', 'colortest'], { input: 'seq=r2 \x1b[31mred\x1b[0m\n' });
await until(2);
await first.stop();
const cursor = JSON.parse(readFileSync(join(dataDir, 'source-checkpoints.json'), 'utf8')).journalCursor;
logger('seq=r3 written while stopped');
const second = factory.create(context);
await second.apply(configuration, {} as never);
logger('seq=r4 after the restart');
await until(4);
await pause(300);
await second.stop();
process.stdout.write(`${JSON.stringify({ events, cursor })}\n`);
