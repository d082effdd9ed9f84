/**
 * Runs inside the lab's server namespace: the traffic runtime with a test inspector that blocks
 * requests whose URI holds BW_MARKER. With BW_HAND_BACK=1 the inspector wants nothing more of a
 * flow once its first request was seen (as rules that read only request headers), so the flow is
 * handed back. BW_SLOW_MS=n: the first marker inspection holds the event loop n ms before it
 * decides (a busy machine), so that block's verdict reaches the kernel after the deadline.
 * JSON lines out: ready / unavailable / finding / stats; in: {mode} {stats} {stop}.
 */
import { createInterface } from 'node:readline';
import type { InspectionUnit, TrafficInspector } from '@bulwark/traffic/engine';
import { startTrafficEngine, TrafficEngineHub } from '@bulwark/traffic/runtime';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const marker = process.env.BW_MARKER ?? 'EVIL-MARKER';
/** '1': after the first request; 'first-data': after the first unit with payload (any protocol). */
const handBack = process.env.BW_HAND_BACK;
const ports = (process.env.BW_PORTS ?? '8080').split(',').map(Number);
let slowMs = Number(process.env.BW_SLOW_MS ?? 0);

interface State {
  requests: number;
  data: number;
}

const inspector: TrafficInspector<string, State> = {
  id: process.env.BW_PASS_THROUGH === '1' ? 'pass-through' : 'marker',
  ports: [{ protocol: 'tcp', ports }],
  newFlowState: () => ({ requests: 0, data: 0 }),
  inspect(unit: InspectionUnit, state: State) {
    if (unit.kind === 'stream' || unit.kind === 'packet') state.data++;
    if (unit.kind !== 'http-request') return { decision: { action: 'pass' }, findings: [] };
    if (unit.http.stage === 'complete') state.requests++;
    const uri = unit.buffers['http.uri'];
    if (process.env.BW_PASS_THROUGH !== '1' && uri && Buffer.from(uri).includes(marker)) {
      if (slowMs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, slowMs);
      slowMs = 0;
      return {
        decision:
          process.env.BW_RESPOND === '1'
            ? {
                action: 'block',
                respond: { status: 403, headers: { 'Content-Type': 'text/plain' }, body: 'blocked by bulwark test\n' },
              }
            : { action: 'block' },
        findings: [`marker in ${unit.http.rawTarget.slice(0, 80)}`],
      };
    }
    return { decision: { action: 'pass' }, findings: [] };
  },
  wantsMore: (state) => (handBack === '1' ? state.requests === 0 : handBack === 'first-data' ? state.data === 0 : true),
};

if (process.env.BW_HUB === '1') {
  // Two modules sharing one runtime through the hub, each with its own marker and findings.
  const hub = new TrafficEngineHub({
    queue: Number(process.env.BW_QUEUE ?? 100),
    name: process.env.BW_NAME ?? 'trftest',
  });
  const other: TrafficInspector<string, State> = {
    ...inspector,
    id: 'other',
    inspect: (unit) =>
      unit.kind === 'http-request' && Buffer.from(unit.buffers['http.uri'] ?? []).includes('OTHER-MARKER')
        ? { decision: { action: 'block' }, findings: ['other marker'] }
        : { decision: { action: 'pass' }, findings: [] },
  };
  for (const [owner, i] of [
    ['module-a', inspector],
    ['module-b', other],
  ] as const) {
    const r = await hub.attach(owner, [i], (e) => out({ finding: e, owner }));
    if (!r.ok) {
      out({ unavailable: r.reason });
      process.exit(0);
    }
  }
  out({ ready: true, pid: process.pid });
  createInterface({ input: process.stdin })
    .on('line', (text) => {
      const cmd = JSON.parse(text) as { stats?: boolean; detach?: string };
      if (cmd.stats) out({ stats: hub.stats() ?? null });
      if (cmd.detach) void hub.detach(cmd.detach).then((r) => out({ detached: cmd.detach, ...r }));
    })
    .on('close', () => void hub.stop().then(() => process.exit(0)));
} else await runAlone();

async function runAlone(): Promise<void> {
  const started = await startTrafficEngine<string>({
    inspectors: [inspector],
    mode: process.env.BW_MODE === 'tap' ? 'tap' : 'inline',
    queue: Number(process.env.BW_QUEUE ?? 100),
    queueCount: Number(process.env.BW_QUEUE_COUNT ?? 1),
    deadlineMs: Number(process.env.BW_DEADLINE_MS ?? 100),
    name: process.env.BW_NAME ?? 'trftest',
    onFindings: (e) => out({ finding: e }),
    onError: (e) => out({ error: String(e) }),
  });
  if (!started.ok) {
    out({ unavailable: started.reason });
    process.exit(0);
  }
  const runtime = started.runtime;
  out({ ready: true, pid: process.pid });

  const stop = async () => {
    await runtime.stop();
    out({ stopped: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  createInterface({ input: process.stdin })
    .on('line', (text) => {
      const cmd = JSON.parse(text) as { mode?: 'inline' | 'tap'; stats?: boolean; stop?: boolean };
      if (cmd.mode) {
        runtime.setMode(cmd.mode);
        out({ mode: cmd.mode });
      }
      if (cmd.stats) out({ stats: runtime.stats() });
      if (cmd.stop) void stop();
    })
    .on('close', () => void stop());
}
