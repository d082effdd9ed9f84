import { readFileSync } from 'node:fs';
import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  ModuleConfiguration,
  ModuleStatus,
  NewEvent,
  PlatformSettings,
} from '@bulwark/protocol';
import { describeIssues, parseWith } from '@bulwark/protocol';
import type { TrafficInspector } from '@bulwark/traffic/engine';
import { startTrafficEngine, type TrafficFindingsEvent, type TrafficRuntime } from '@bulwark/traffic/runtime';
import {
  type CompiledReputation,
  compileReputation,
  WebReputation,
  WebrepConfiguration,
  type WebrepFinding,
  webrepInspector,
} from '../engine/index.js';
import { socketOwner } from './socket-owner.js';

const ID = 'webrep';
/** The update-package kind of the reputation data (manager/webrep-definition.ts REPUTATION_KIND). */
const REPUTATION_KIND = 'webrep-reputation';
/** Why a `Fail-Open: …` event's request was not stopped, in the event's details. */
export const FAIL_OPEN_REASON =
  'verdict after deadline: the kernel had already let the packet through (fail-open); later packets of the connection are blocked';
/** NFQUEUE queue number unless the host's local option `webrep.queue` says another. */
export const DEFAULT_WEBREP_QUEUE = 4140;

export interface WebrepAgentOptions {
  /** First NFQUEUE queue (tests use their own range). */
  readonly queue?: number;
  /** Names the kernel rules (tests: unique per test file). */
  readonly steeringName?: string;
  /** Starts the traffic engine; tests replace it to run the module without a kernel. */
  readonly start?: typeof startTrafficEngine<WebrepFinding>;
}

/**
 * The agent side: compiles the lists and the reputation data into a decision, hands the traffic
 * engine an inspector for outbound HTTP (host, URL) and TLS (SNI) on the configured ports, and
 * turns what it reports into events (computer, process when the socket's owner can be found,
 * URL or host, risk, category, the list or feed that decided, action).
 */
class WebrepAgentModule implements AgentModule {
  readonly id = ID;
  readonly #context: AgentModuleContext;
  readonly #options: WebrepAgentOptions;
  #runtime: TrafficRuntime<WebrepFinding> | null = null;
  #status: ModuleStatus = { id: ID, state: 'off' };
  #feed: { sha256: string; data: CompiledReputation; errors: number } | null = null;
  #refused = 0;
  #blocked = 0;
  #blockedFailedOpen = 0;
  #detected = 0;
  #lastApplied = '';

  constructor(context: AgentModuleContext, options: WebrepAgentOptions) {
    this.#context = context;
    this.#options = options;
  }

  async apply(configuration: ModuleConfiguration, _platform: PlatformSettings): Promise<void> {
    if (!configuration.enabled) {
      await this.stop();
      return;
    }
    const parsed = parseWith(WebrepConfiguration, configuration.configuration);
    if (!parsed.ok) {
      // Keep what is in force: a refused configuration must not switch protection off.
      this.#status = {
        id: ID,
        state: 'error',
        reason: `configuration refused, the previous one stays in force: ${describeIssues(parsed.issues)}`,
      };
      return;
    }
    const config = parsed.value;
    const notes: string[] = [];
    const feed = this.#loadFeed(config, notes);
    const key = `${JSON.stringify(config)}|${feed?.version ?? '-'}`;
    if (key === this.#lastApplied && this.#runtime !== null) return;
    const decision = new WebReputation(config, feed);
    this.#refused = decision.refused.length;
    if (decision.refused.length > 0)
      notes.push(
        `${decision.refused.length} list entries refused: ${decision.refused
          .slice(0, 3)
          .map((r) => `${r.list} "${r.entry.slice(0, 60)}": ${r.reason}`)
          .join('; ')}`,
      );
    const inspector = webrepInspector(config, decision) as TrafficInspector<WebrepFinding>;
    const problem = await this.#install(inspector);
    if (problem !== null) {
      this.#status = { id: ID, state: 'unavailable', reason: problem };
      return;
    }
    this.#lastApplied = key;
    this.#status = {
      id: ID,
      state: 'on',
      ...(notes.length > 0 ? { reason: notes.join('; ').slice(0, 1024) } : {}),
    };
  }

  /** The reputation data the configuration names, compiled once per package. */
  #loadFeed(config: WebrepConfiguration, notes: string[]): CompiledReputation | null {
    if (config.reputation === null) return null;
    const installed = this.#context.updates?.current(REPUTATION_KIND);
    if (installed === undefined) {
      notes.push(`reputation data version ${config.reputation.version} is not on this host yet`);
      return null;
    }
    if (installed.version !== config.reputation.version)
      notes.push(`reputation data version ${installed.version} in use, ${config.reputation.version} named`);
    if (this.#feed?.sha256 !== installed.sha256) {
      const compiled = compileReputation(installed.version, readFileSync(installed.path, 'utf8'));
      this.#feed = { sha256: installed.sha256, data: compiled.data, errors: compiled.errors };
    }
    if (this.#feed.errors > 0) notes.push(`${this.#feed.errors} reputation lines refused`);
    return this.#feed.data;
  }

  async #install(inspector: TrafficInspector<WebrepFinding>): Promise<string | null> {
    if (this.#runtime !== null) {
      const updated = await this.#runtime.updateInspectors([inspector]);
      return updated.ok ? null : updated.reason;
    }
    const queue = this.#options.queue ?? Number(this.#context.localOptions?.get(`${ID}.queue`) ?? DEFAULT_WEBREP_QUEUE);
    const start = this.#options.start ?? startTrafficEngine<WebrepFinding>;
    const started = await start({
      inspectors: [inspector],
      // Detect-only is the inspector's (it never asks to block then); the engine enforces.
      mode: 'inline',
      queue,
      outbound: true,
      name: this.#options.steeringName ?? 'webrep',
      onFindings: (event) => this.#report(event),
      onError: (error) => this.#context.log.warn('traffic engine error', { error: String(error) }),
    });
    if (!started.ok) return `the traffic engine cannot run here: ${started.reason}`;
    this.#runtime = started.runtime;
    return null;
  }

  #report(event: TrafficFindingsEvent<WebrepFinding>): void {
    for (const finding of event.findings) {
      const detectOnly = finding.detectOnly || !event.enforced;
      // A late verdict: the kernel had let the packet through, so the event must not claim the block.
      const failedOpen = !detectOnly && event.failedOpen;
      if (detectOnly) this.#detected++;
      else if (failedOpen) this.#blockedFailedOpen++;
      else this.#blocked++;
      const { verdict } = finding;
      const owner = socketOwner(event.flow.clientAddress, event.flow.clientPort);
      const target = finding.url ?? finding.host ?? finding.address;
      // HTTP with the block page: the client read a 403 naming the reason and the block id.
      const enforcedAction = event.answered ? 'Block Page' : 'Reset';
      const action = detectOnly ? 'Detect Only: Reset' : failedOpen ? `Fail-Open: ${enforcedAction}` : enforcedAction;
      const verb = detectOnly ? 'Would block' : failedOpen ? 'Blocked too late (passed)' : 'Blocked';
      const severity = verdict.source === 'reputation' && (verdict.risk ?? 0) >= 85 ? 'high' : 'medium';
      const emitted: NewEvent = {
        module: ID,
        type: 'webrep.blocked',
        severity,
        ruleId: verdict.source,
        action,
        summary: `${verb} ${target}: ${verdict.reason}`.slice(0, 2048),
        details: {
          blockId: finding.blockId,
          seen: finding.seen,
          ...(finding.url === undefined ? {} : { url: finding.url }),
          ...(finding.host === undefined ? {} : { host: finding.host }),
          address: finding.address,
          port: finding.port,
          decidedBy: verdict.source,
          ...(verdict.entry === undefined ? {} : { entry: verdict.entry }),
          ...(verdict.risk === undefined ? {} : { risk: verdict.risk }),
          ...(verdict.category === undefined ? {} : { category: verdict.category }),
          ...(verdict.feedVersion === undefined ? {} : { feedVersion: verdict.feedVersion }),
          reason: verdict.reason,
          ...(failedOpen ? { failedOpen: true, failOpenReason: FAIL_OPEN_REASON } : {}),
          ...(owner === undefined ? {} : { process: owner }),
        },
      };
      this.#context.emit(emitted);
    }
  }

  async stop(): Promise<void> {
    const runtime = this.#runtime;
    this.#runtime = null;
    this.#lastApplied = '';
    if (runtime !== null) await runtime.stop();
    this.#status = { id: ID, state: 'off' };
  }

  kernelHooks(): readonly string[] {
    return this.#runtime === null ? [] : ['NFQUEUE steering of outbound HTTP/TLS (iptables chains BWTRF-WEBREP-*)'];
  }

  status(): ModuleStatus {
    const stats = this.#runtime?.stats();
    return {
      ...this.#status,
      counters: {
        blocked: this.#blocked,
        blockedFailedOpen: this.#blockedFailedOpen,
        detectOnly: this.#detected,
        refusedEntries: this.#refused,
        packets: stats?.packets ?? 0,
        verdictsLate: stats?.verdictsLate ?? 0,
        blocksFailedOpen: stats?.blocksFailedOpen ?? 0,
      },
    };
  }
}

export function createWebrepAgentModule(context: AgentModuleContext, options: WebrepAgentOptions = {}): AgentModule {
  return new WebrepAgentModule(context, options);
}

/** The agent side of the module: what the agent's registry lists. */
export const agentModule: AgentModuleFactory = {
  id: ID,
  create: (context) => new WebrepAgentModule(context, {}),
};
