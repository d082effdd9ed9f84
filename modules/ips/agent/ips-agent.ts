import { createHash } from 'node:crypto';
import {
  type AgentModule,
  type AgentModuleContext,
  describeIssues,
  describeRejectedRules,
  type ModuleConfiguration,
  type ModuleStatus,
  type NewEvent,
  type PlatformSettings,
  parseWith,
} from '@bulwark/protocol';
import { IpsConfiguration, IpsEventAction } from '../engine/ips-configuration.js';
import type { IpsEngineApi } from '../engine/ips-engine-contract.js';
import { FindingFolder } from './finding-folder.js';
import { ipsEvent } from './ips-events.js';
import type { FindingsReport, IpsTrafficOptions, IpsTrafficPort, IpsTrafficRuntime } from './traffic-port.js';

const ID = 'ips';
/** Repeats of one attack within this window become one event with a count. */
export const DEFAULT_FOLD_WINDOW_MS = 5_000;
/** Length limit of the status reason (the heartbeat carries it). */
const REASON_CHARS = 1_024;

export interface IpsAgentOptions {
  readonly engine: IpsEngineApi;
  readonly traffic: IpsTrafficPort;
  readonly foldWindowMs?: number;
  readonly now?: () => number;
}

/**
 * Intrusion prevention on the host: compiles the assigned rules with the engine, runs them as an
 * inspector of the traffic engine (which steers only the rules' ports through NFQUEUE, resets what
 * is blocked and fails open by deadline), and turns findings into events, repeats folded.
 */
export class IpsAgent implements AgentModule {
  readonly id = ID;
  readonly #context: AgentModuleContext;
  readonly #engine: IpsEngineApi;
  readonly #traffic: IpsTrafficPort;
  readonly #folder: FindingFolder;
  readonly #now: () => number;
  #runtime: IpsTrafficRuntime | null = null;
  #appliedKey: string | undefined;
  #state: ModuleStatus = { id: ID, state: 'off' };
  #rejected: { id: string; reason: string }[] = [];
  #ruleCount = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #counters = { findings: 0, resets: 0, resetsFailedOpen: 0, detectOnly: 0, eventsEmitted: 0, applies: 0 };

  constructor(context: AgentModuleContext, options: IpsAgentOptions) {
    this.#context = context;
    this.#engine = options.engine;
    this.#traffic = options.traffic;
    this.#folder = new FindingFolder(options.foldWindowMs ?? DEFAULT_FOLD_WINDOW_MS);
    this.#now = options.now ?? Date.now;
  }

  async apply(configuration: ModuleConfiguration, platform: PlatformSettings): Promise<void> {
    if (!configuration.enabled) {
      await this.#disable();
      return;
    }
    const key = createHash('sha256')
      .update(
        JSON.stringify([
          configuration.configuration,
          platform.networkEngineMode,
          platform.failMode,
          platform.failDeadlineMilliseconds,
        ]),
      )
      .digest('hex');
    if (key === this.#appliedKey && this.#runtime !== null) return;
    const parsed = parseWith(IpsConfiguration, configuration.configuration);
    if (!parsed.ok) {
      // A refused configuration leaves the one in force running.
      this.#state = {
        id: ID,
        state: 'error',
        reason: `configuration refused, the previous one stays in force: ${describeIssues(parsed.issues)}`.slice(
          0,
          REASON_CHARS,
        ),
      };
      return;
    }
    const config = parsed.value;
    const compiled = this.#engine.compileIpsRules(config.rules, { variables: config.variables });
    const options: IpsTrafficOptions = {
      inspector: this.#engine.createIpsInspector(compiled.ruleSet, config.mode),
      mode: platform.networkEngineMode,
      inspectionDepthBytes: config.inspectionDepthBytes,
      failMode: platform.failMode,
      deadlineMs: platform.failDeadlineMilliseconds,
    };
    const started = await this.#startOrUpdate(options);
    if (!started.ok) {
      this.#state = { id: ID, state: 'unavailable', reason: started.reason.slice(0, REASON_CHARS) };
      return;
    }
    this.#rejected = [
      ...config.rejected.map((r) => ({ id: r.ruleId, reason: r.reason })),
      ...compiled.refused.map((r) => ({ id: r.id, reason: `${r.reasonClass}: ${r.reason}` })),
    ];
    this.#ruleCount = compiled.ruleSet.ruleCount;
    this.#appliedKey = key;
    this.#counters.applies++;
    this.#state = { id: ID, state: 'on' };
    this.#timer ??= setInterval(() => this.#flush(false), 1_000);
    this.#timer.unref?.();
  }

  async #startOrUpdate(options: IpsTrafficOptions): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (this.#runtime !== null) return this.#runtime.update(options);
    const started = await this.#traffic.start(options, (report) => this.#onFindings(report));
    if (!started.ok) return started;
    this.#runtime = started.runtime;
    return { ok: true };
  }

  /** Public so that a test can hand the module what the traffic engine reports. */
  #onFindings(report: FindingsReport): void {
    const now = this.#now();
    for (const finding of report.findings) {
      this.#counters.findings++;
      const reset = finding.action === 'block' && report.enforced;
      // A late verdict: the kernel had passed the packet already, so the event must not say Reset.
      const failedOpen = reset && report.failedOpen;
      if (failedOpen) this.#counters.resetsFailedOpen++;
      else if (reset) this.#counters.resets++;
      else this.#counters.detectOnly++;
      this.#folder.add(
        {
          finding,
          flow: report.flow,
          action: failedOpen ? IpsEventAction.failOpenReset : reset ? IpsEventAction.reset : IpsEventAction.detectOnly,
          timeMs: report.timeMs,
        },
        now,
      );
    }
  }

  #flush(all: boolean): void {
    for (const folded of this.#folder.flush(this.#now(), all)) this.#emit(ipsEvent(folded));
  }

  #emit(event: NewEvent): void {
    this.#counters.eventsEmitted++;
    this.#context.emit(event);
  }

  async stop(): Promise<void> {
    this.#flush(true);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    // The steering rules stay with queue bypass: without a reader the kernel lets traffic pass.
    await this.#runtime?.stop();
    this.#runtime = null;
    this.#appliedKey = undefined;
  }

  async #disable(): Promise<void> {
    await this.stop();
    const removed = await this.#traffic.removeFromHost();
    this.#rejected = [];
    this.#ruleCount = 0;
    this.#state = removed.ok
      ? { id: ID, state: 'off' }
      : { id: ID, state: 'error', reason: `removing the traffic steering failed: ${removed.reason}` };
  }

  async removeFromHost(): Promise<void> {
    await this.stop();
    const removed = await this.#traffic.removeFromHost();
    this.#state = { id: ID, state: 'off' };
    if (!removed.ok) throw new Error(`ips: removing the traffic steering failed: ${removed.reason}`);
  }

  kernelHooks(): readonly string[] {
    return this.#runtime?.kernelHooks() ?? [];
  }

  status(): ModuleStatus {
    const traffic = this.#runtime?.status();
    const reasons = [
      ...(this.#state.reason ? [this.#state.reason] : []),
      ...(this.#state.state === 'on' && this.#rejected.length > 0 ? [describeRejectedRules(this.#rejected, 600)] : []),
      ...(traffic?.problem ? [traffic.problem] : []),
    ];
    return {
      id: ID,
      state: this.#state.state,
      ...(reasons.length > 0 ? { reason: reasons.join('; ').slice(0, REASON_CHARS) } : {}),
      counters: {
        rules: this.#ruleCount,
        refusedRules: this.#rejected.length,
        ...this.#counters,
        pendingEvents: this.#folder.pending,
        ...(traffic?.counters ?? {}),
      },
    };
  }
}
