/**
 * Runs inside the lab's client namespace: the web reputation agent module, as the agent runs it,
 * with a context whose events go to stdout and whose update packages come from BW_FEED (a file
 * standing for the installed reputation package). JSON lines in: {apply: configuration} {stop};
 * out: ready / applied {status} / event {event}.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AgentModuleContext, PlatformSettings } from '@bulwark/protocol';
import { createWebrepAgentModule } from '../../modules/webrep/agent/index.js';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const feed = process.env.BW_FEED;
const platform = { networkEngineMode: 'inline' } as PlatformSettings;

const context: AgentModuleContext = {
  dataDir: mkdtempSync(join(tmpdir(), 'bw-webrep-')),
  log: { info: () => {}, warn: (m, f) => out({ warn: m, f }), error: (m, f) => out({ error: m, f }) },
  emit: (event) => out({ event }),
  reportInventory: () => {},
  writeStateFile: () => {},
  ...(feed
    ? {
        updates: {
          current: (kind: string) => {
            if (kind !== 'webrep-reputation') return undefined;
            const bytes = readFileSync(feed);
            const sha256 = createHash('sha256').update(bytes).digest('hex');
            return { kind, version: Number(process.env.BW_FEED_VERSION ?? 1), sha256, size: bytes.length, path: feed };
          },
        },
      }
    : {}),
};

const module = createWebrepAgentModule(context, {
  queue: Number(process.env.BW_QUEUE ?? 140),
  steeringName: process.env.BW_NAME ?? 'wrptest',
});

const stop = async () => {
  await module.stop();
  out({ stopped: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
out({ ready: true, pid: process.pid });
createInterface({ input: process.stdin })
  .on('line', (text) => {
    const cmd = JSON.parse(text) as { apply?: unknown; stop?: boolean };
    if (cmd.apply !== undefined)
      void module
        .apply({ enabled: true, configuration: cmd.apply }, platform)
        .then(() => out({ applied: true, status: module.status() }));
    if (cmd.stop) void stop();
  })
  .on('close', () => void stop());
