/**
 * Runs the IPS agent module inside a lab namespace (ip netns exec), so that its NFQUEUE steering
 * and queue binding live there. Reads {configuration, platform} lines on stdin; prints events,
 * status and {applied: n} as JSON lines. BWIPS_QUEUE is the first queue number it may use.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { IpsAgent } from '@bulwark/module-ips/agent';
import { compileIpsRules, createIpsInspector } from '@bulwark/module-ips/engine';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { AgentModuleContext } from '@bulwark/protocol';
import { hostTrafficPort } from '../../modules/ips/agent/traffic-runtime.js';

const dataDir = mkdtempSync(join(tmpdir(), 'bwips-'));
writeFileSync(join(dataDir, '.keep'), '');
const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const queue = process.env.BWIPS_QUEUE ?? '130';
const context: AgentModuleContext = {
  dataDir,
  localOptions: { source: 'test', get: (key) => (key === 'ips.queue' ? queue : undefined) },
  log: { info: () => {}, warn: (m, f) => out({ log: m, ...f }), error: (m, f) => out({ log: m, ...f }) },
  emit: (event) => out({ event }),
  reportInventory: () => {},
  writeStateFile: moduleStateFileWriter(dataDir),
};
const agent = new IpsAgent(context, {
  engine: { compileIpsRules, createIpsInspector },
  traffic: hostTrafficPort(context),
  foldWindowMs: 300,
});
let applied = 0;
const lines: string[] = [];
let busy = false;
async function drain(): Promise<void> {
  if (busy) return;
  busy = true;
  while (lines.length > 0) {
    const body = JSON.parse(lines.shift() as string) as { configuration: never; platform: never };
    await agent.apply(body.configuration, body.platform);
    out({ applied: ++applied, status: agent.status(), hooks: agent.kernelHooks() });
  }
  busy = false;
}
createInterface({ input: process.stdin })
  .on('line', (line) => {
    lines.push(line);
    void drain();
  })
  .on('close', async () => {
    await agent.removeFromHost();
    process.exit(0);
  });
out({ ready: true });
