import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentModule } from '@bulwark/module-appcontrol/agent';
import type { AgentSettings } from '@bulwark/module-appcontrol/engine';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { AgentModule, AgentModuleContext, NewEvent, PlatformSettings } from '@bulwark/protocol';
import { run as runCommand } from '../kernel/run-command.js';

/**
 * A tmpfs mounted for one test file at a unique mount point (never the host's own filesystems:
 * permission events are marked on this mount only), and unmounted after.
 */
export function mountTestTmpfs(name: string, size = '64m'): { dir: string; unmount(): void } {
  const dir = mkdtempSync(join(tmpdir(), `bulwark-appcontrol-${name}-`));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, `bulwark-appcontrol-${name}`, dir]);
  return {
    dir,
    unmount() {
      spawnSync('umount', ['-l', dir]);
      rmdirSync(dir);
    },
  };
}

export interface Harness {
  readonly module: AgentModule;
  readonly events: NewEvent[];
  readonly dataDir: string;
  apply(settings: Partial<AgentSettings>, rules?: unknown[]): Promise<void>;
  waitFor(predicate: (e: NewEvent) => boolean, timeoutMs?: number): Promise<NewEvent>;
  counter(name: string): number;
  close(): Promise<void>;
}

/** The real agent module on a temporary data directory, with the events it emits. */
export function harness(base: AgentSettings): Harness {
  const dataDir = mkdtempSync(join(tmpdir(), 'bulwark-appcontrol-data-'));
  const events: NewEvent[] = [];
  const waiters: { predicate: (e: NewEvent) => boolean; resolve: (e: NewEvent) => void }[] = [];
  const context: AgentModuleContext = {
    dataDir,
    log: { info() {}, warn() {}, error() {} },
    emit(event) {
      events.push(event);
      for (const w of [...waiters])
        if (w.predicate(event)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(event);
        }
    },
    reportInventory() {},
    writeStateFile: moduleStateFileWriter(dataDir),
  };
  const module = agentModule.create(context);
  return {
    module,
    events,
    dataDir,
    apply: (settings, rules = []) =>
      module.apply(
        { enabled: true, configuration: { settings: { ...base, ...settings }, rules, rejectedRules: [] } },
        {} as PlatformSettings,
      ),
    waitFor(predicate, timeoutMs = 30_000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no such event in ${timeoutMs} ms; events: ${JSON.stringify(events.slice(-5))}`)),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
    counter(name) {
      return Number(module.status().counters?.[name] ?? 0);
    },
    async close() {
      await module.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs a command through sh as a user would: Node's own spawn blocks this event loop until the
 * child has exec'd, and the agent's own children are never held (allowOwnChildren), so the
 * program must be exec'd by a grandchild. The trailing `exit` keeps sh from exec'ing the
 * command in its own process.
 */
export function run(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand('/bin/sh', ['-c', `${script}\nexit $?`]);
}

export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
