/**
 * Runs the firewall's agent module inside a lab namespace (ip netns exec), so its nft table and
 * NFLOG subscriptions live there. Reads {configuration, platform} lines on stdin; prints events,
 * status and {applied: n} as JSON lines. BWFW_DATA_DIR sets the module's data dir, BWFW_MANAGER_URL
 * the manager the platform agent would hand it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FirewallAgent } from '@bulwark/module-firewall/agent';
import { moduleStateFileWriter } from '@bulwark/platform-agent';

// A test that restarts the agent passes the same data dir to both runs.
const dataDir = process.env.BWFW_DATA_DIR || mkdtempSync(join(tmpdir(), 'bwfw-'));
const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const agent = new FirewallAgent(
  {
    dataDir,
    ...(process.env.BWFW_MANAGER_URL ? { managerUrl: process.env.BWFW_MANAGER_URL } : {}),
    log: { info: () => {}, warn: (m, f) => out({ log: m, ...f }), error: (m, f) => out({ log: m, ...f }) },
    emit: (event) => out({ event }),
    reportInventory: () => {},
    writeStateFile: moduleStateFileWriter(dataDir),
  },
  { aggregationMs: 1000 },
);
let applied = 0;
const queue: string[] = [];
let busy = false;
async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  while (queue.length > 0) {
    const line = queue.shift() as string;
    const body = JSON.parse(line) as { configuration: never; platform: never };
    await agent.apply(body.configuration, body.platform);
    out({ applied: ++applied, status: agent.status() });
  }
  busy = false;
}
createInterface({ input: process.stdin })
  .on('line', (line) => {
    queue.push(line);
    void drain();
  })
  .on('close', async () => {
    await agent.stop();
    process.exit(0);
  });
