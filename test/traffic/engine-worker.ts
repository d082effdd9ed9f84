/**
 * Runs inside the lab's server namespace: the traffic runtime with a test inspector that blocks
 * requests whose URI holds BW_MARKER. With BW_HAND_BACK=1 the inspector wants nothing more of a
 * flow once its first request was seen (as rules that read only request headers), so the flow is
 * handed back. JSON lines out: ready / unavailable / finding / stats; in: {mode} {stats} {stop}.
 */
import { createInterface } from 'node:readline';
import type { InspectionUnit, TrafficInspector } from '@bulwark/traffic/engine';
import { startTrafficEngine } from '@bulwark/traffic/runtime';

const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const marker = process.env.BW_MARKER ?? 'EVIL-MARKER';
const handBack = process.env.BW_HAND_BACK === '1';
const ports = (process.env.BW_PORTS ?? '8080').split(',').map(Number);

interface State {
  requests: number;
}

const inspector: TrafficInspector<string, State> = {
  id: process.env.BW_PASS_THROUGH === '1' ? 'pass-through' : 'marker',
  ports: [{ protocol: 'tcp', ports, parser: 'http' }],
  newFlowState: () => ({ requests: 0 }),
  inspect(unit: InspectionUnit, state: State) {
    if (unit.kind !== 'http-request') return { decision: { action: 'pass' }, findings: [] };
    if (unit.http.stage === 'complete') state.requests++;
    const uri = unit.buffers['http.uri'];
    if (process.env.BW_PASS_THROUGH !== '1' && uri && Buffer.from(uri).includes(marker))
      return { decision: { action: 'block' }, findings: [`marker in ${unit.http.rawTarget.slice(0, 80)}`] };
    return { decision: { action: 'pass' }, findings: [] };
  },
  wantsMore: (state) => !handBack || state.requests === 0,
};

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
