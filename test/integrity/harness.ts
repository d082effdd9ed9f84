import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IntegrityAgentModule, type IntegrityAgentOptions } from '@bulwark/module-integrity/agent';
import { type CompiledRule, IntegritySettings, validateRule } from '@bulwark/module-integrity/engine';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import type { AgentModuleContext, NewEvent, PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';

/** A real agent module on a temporary data directory, with the events it emits. */
export interface Harness {
  readonly module: IntegrityAgentModule;
  readonly events: NewEvent[];
  readonly dataDir: string;
  apply(rules: readonly CompiledRule[], settings?: Partial<IntegritySettings>): Promise<void>;
  waitFor(predicate: (e: NewEvent) => boolean, timeoutMs?: number): Promise<NewEvent>;
  changes(): NewEvent[];
}

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `bulwark-integrity-${prefix}-`));
}

export function fileRule(
  id: string,
  base: string,
  extra: Record<string, unknown> = {},
  attributes?: string[],
): CompiledRule {
  const r = validateRule({
    id,
    name: `Rule ${id}`,
    description: 'test rule',
    severity: 'high',
    ...(attributes ? { attributes } : {}),
    entity: { kind: 'files', base, ...extra },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.rule;
}

export function harness(dataDir = temporaryDirectory('data'), options: IntegrityAgentOptions = {}): Harness {
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
  const module = new IntegrityAgentModule(context, options);
  return {
    module,
    events,
    dataDir,
    apply: (rules, settings = {}) =>
      module.apply(
        {
          enabled: true,
          configuration: {
            // fanotify off unless a test asks: a test must never mark the host's own filesystems.
            settings: { ...Value.Create(IntegritySettings), enabled: true, fanotify: false, ...settings },
            rules,
            rejectedRules: [],
          },
        },
        {} as PlatformSettings,
      ),
    waitFor(predicate, timeoutMs = 10_000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching event arrived; got: ${events.map((e) => e.summary).join(' | ')}`)),
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
    changes: () => events.filter((e) => ['created', 'updated', 'deleted', 'renamed'].includes(e.type)),
  };
}

export function cleanup(...paths: string[]): void {
  for (const p of paths) rmSync(p, { recursive: true, force: true });
}

/** Polls a condition the module reaches on its own (a scan under way, a check done) until it holds or the deadline passes. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
