import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  ModuleConfiguration,
  ModuleStatus,
  Severity,
} from '@bulwark/protocol';
import { describeIssues, parseWith } from '@bulwark/protocol';
import { compileRuleset, formatProblem, LogInspectionEngine, type Verdict } from '../engine/index.js';
import { LogInspectConfiguration } from '../manager/loginspect-settings.js';
import { builtInRuleset } from '../rules/index.js';
import { LogFollower } from './log-follower.js';

const POLL_MS = 1000;

function severityOf(level: number): Severity {
  if (level >= 13) return 'critical';
  if (level >= 10) return 'high';
  if (level >= 7) return 'medium';
  if (level >= 4) return 'low';
  return 'info';
}

/**
 * Follows the configured log files (and the journal) and runs every line through the engine; a
 * rule of the enabled groups at or above the minimum level becomes an event.
 */
class LogInspectAgentModule implements AgentModule {
  readonly id = 'loginspect';
  readonly #context: AgentModuleContext;
  #engine: LogInspectionEngine | undefined;
  #configuration: LogInspectConfiguration | undefined;
  #appliedKey = '';
  #follower: LogFollower | undefined;
  #timer: NodeJS.Timeout | undefined;
  #journal: ChildProcess | undefined;
  #status: ModuleStatus = { id: 'loginspect', state: 'off' };
  readonly #counters = { lines: 0, alerts: 0, events: 0 };

  constructor(context: AgentModuleContext) {
    this.#context = context;
  }

  async apply(configuration: ModuleConfiguration): Promise<void> {
    if (!configuration.enabled) {
      await this.stop();
      return;
    }
    const parsed = parseWith(LogInspectConfiguration, configuration.configuration);
    if (!parsed.ok) {
      await this.stop();
      this.#status = { id: this.id, state: 'error', reason: `configuration: ${describeIssues(parsed.issues)}` };
      return;
    }
    const key = JSON.stringify(parsed.value);
    if (key === this.#appliedKey && this.#engine) return;
    await this.stop();
    const c = parsed.value;
    const base = builtInRuleset();
    const { ruleset, problems } = compileRuleset({
      decoders: [...base.decoders, ...c.custom.map((r) => ({ name: `${r.id}/decoders.xml`, content: r.decodersXml }))],
      rules: [...base.rules, ...c.custom.map((r) => ({ name: `${r.id}/rules.xml`, content: r.rulesXml }))],
    });
    for (const p of problems) if (p.severity === 'error') this.#context.log.warn(`loginspect: ${formatProblem(p)}`);
    this.#engine = new LogInspectionEngine(ruleset, { utcOffsetMinutes: -new Date().getTimezoneOffset() });
    this.#configuration = c;
    this.#appliedKey = key;
    this.#follower = new LogFollower(c.sources.files);
    this.#follower.poll(() => {});
    this.#timer = setInterval(() => this.poll(), POLL_MS);
    this.#timer.unref();
    if (c.sources.journald) this.#startJournal();
    this.#status = { id: this.id, state: 'on' };
  }

  /** Reads what the files gained since the last poll; exposed for tests. */
  poll(): void {
    this.#follower?.poll((line, path) => this.#inspect(line, path));
  }

  #startJournal(): void {
    const child = spawn('journalctl', ['-f', '-n', '0', '-o', 'short-iso', '--no-pager'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.on('error', (error) => {
      this.#context.log.warn(`loginspect: cannot follow the journal: ${error.message}`);
      this.#journal = undefined;
    });
    if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => this.#inspect(line, 'journald'));
    this.#journal = child;
  }

  #inspect(line: string, location: string): void {
    const engine = this.#engine;
    const c = this.#configuration;
    if (!engine || !c) return;
    this.#counters.lines++;
    let v: Verdict;
    try {
      v = engine.process({ line, location, time: Date.now() });
    } catch (error) {
      this.#context.log.error(`loginspect: engine failure on a line from ${location}: ${(error as Error).message}`);
      return;
    }
    const rule = v.rule;
    if (!v.alert || !rule) return;
    this.#counters.alerts++;
    const group = rule.groups[0] ?? '';
    const custom = !c.builtInGroups.includes(group) && !(rule.id >= 100000 && rule.id < 102000);
    if (!custom && !c.builtInGroups.includes(group)) return;
    if (rule.level < c.minimumLevel) return;
    this.#counters.events++;
    const fields: Record<string, string> = {};
    for (const [k, val] of v.event.fields) if (k !== 'password') fields[k] = val.slice(0, 512);
    this.#context.emit({
      module: this.id,
      type: 'rule-match',
      severity: severityOf(rule.level),
      ruleId: String(rule.id),
      summary: engine.describe(v).slice(0, 2048),
      details: {
        level: rule.level,
        groups: rule.groups,
        decoder: v.decoder,
        location,
        fields,
        line: v.event.fullLog.slice(0, 2048),
      },
      time: new Date(v.event.time).toISOString(),
    });
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#journal?.kill();
    this.#journal = undefined;
    this.#engine = undefined;
    this.#follower = undefined;
    this.#appliedKey = '';
    this.#status = { id: this.id, state: 'off' };
  }

  status(): ModuleStatus {
    return { ...this.#status, counters: { ...this.#counters } };
  }
}

export const loginspectAgentFactory: AgentModuleFactory = {
  id: 'loginspect',
  create: (context) => new LogInspectAgentModule(context),
};
