/**
 * Real-time latency as the agent has it: a file is written, inotify tells the module, the module
 * debounces, checks the path and emits, and the event goes into the real agent event spool
 * (`EventSpool` with the agent's own defaults: batched commit, one fsync per batch). The clock
 * stops when the batch holding the event is committed, which is when the event is durable and
 * could be uploaded. Measured idle and while scans of a large tree run back to back.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { IntegrityAgentModule } from '@bulwark/module-integrity/agent';
import { type CompiledRule, IntegritySettings } from '@bulwark/module-integrity/engine';
import { EventSpool, moduleStateFileWriter } from '@bulwark/platform-agent';
import type { PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';

export interface LatencyRun {
  readonly delays: number[];
  readonly missing: number;
  /** Samples whose write and commit both fell inside a running scan. */
  readonly duringScan: number;
  readonly scans: number;
  readonly loadAverage: string;
}

export interface LatencyOptions {
  /** Module data directory; reusing the baseline run's directory spares rebuilding the tree's baseline. */
  readonly dataDir: string;
  readonly spoolPath: string;
  /** Rules: the watched one (new files are written into its base) and, for scans, the tree. */
  readonly liveRule: CompiledRule & { entity: { base: string } };
  readonly treeRule: CompiledRule;
  readonly samples: number;
  readonly withScan: boolean;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

export async function measureSpoolLatency(options: LatencyOptions): Promise<LatencyRun> {
  const spool = EventSpool.open(options.spoolPath);
  // Stamp every event when the flush that holds it returns: the commit (and its fsync) is done.
  const uncommitted: string[] = [];
  const committedAt = new Map<string, bigint>();
  const flush = spool.flush.bind(spool);
  spool.flush = (evenIfEmpty?: boolean) => {
    flush(evenIfEmpty);
    const now = process.hrtime.bigint();
    for (const path of uncommitted.splice(0)) committedAt.set(path, now);
    const waiter = waiting;
    if (waiter && committedAt.has(waiter.path)) waiter.resolve();
  };
  let waiting: { path: string; resolve: () => void } | undefined;

  const module = new IntegrityAgentModule({
    dataDir: options.dataDir,
    log: { info() {}, warn() {}, error: (m, f) => console.error(m, f) },
    emit: (event) => {
      const outcome = spool.emit(event);
      const path = (event.details?.entity as { path?: string } | undefined)?.path;
      if (outcome.kind === 'spooled' && event.type === 'created' && path) uncommitted.push(path);
    },
    reportInventory() {},
    writeStateFile: moduleStateFileWriter(options.dataDir),
  });
  await module.apply(
    {
      enabled: true,
      configuration: {
        settings: {
          ...Value.Create(IntegritySettings),
          enabled: true,
          realTime: true,
          // The bench watches well under the limit; never mark the host's mounts from a bench.
          fanotify: false,
          scanOnStart: false,
          schedule: 'off',
        },
        rules: [options.liveRule, options.treeRule],
        rejectedRules: [],
      },
    },
    {} as PlatformSettings,
  );

  let scanning = false;
  let scans = 0;
  let stopScans = false;
  const scanLoop = (async () => {
    if (!options.withScan) return;
    while (!stopScans) {
      scanning = true;
      await module.run('scan', { ruleId: options.treeRule.id });
      scanning = false;
      scans += 1;
    }
  })();
  // Let the first scan get past reading its baseline.
  if (options.withScan) await new Promise((r) => setTimeout(r, 1000));

  const delays: number[] = [];
  let missing = 0;
  let duringScan = 0;
  for (let i = 0; i < options.samples; i++) {
    const path = join(options.liveRule.entity.base, `sample-${options.withScan ? 's' : 'i'}-${i}`);
    const done = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      waiting = {
        path,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
    });
    const scanningAtWrite = scanning;
    const written = process.hrtime.bigint();
    writeFileSync(path, `sample ${i}`);
    if (await done) {
      delays.push(Number(committedAt.get(path)! - written) / 1e6);
      if (scanningAtWrite && scanning) duringScan += 1;
    } else missing += 1;
    waiting = undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
  const loadAverage = load();
  stopScans = true;
  await scanLoop;
  await module.stop();
  spool.close();
  return { delays: delays.sort((a, b) => a - b), missing, duringScan, scans, loadAverage };
}
