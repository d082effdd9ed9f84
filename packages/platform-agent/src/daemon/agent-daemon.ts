import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentRoutes, COMPUTER_DEACTIVATED_PROBLEM, HeartbeatResponse, type NewEvent } from '@bulwark/protocol';
import { AGENT_VERSION } from '../agent-version.js';
import { backoffDelay } from '../channel/backoff.js';
import { ManagerChannel } from '../channel/manager-channel.js';
import { renewIfDue } from '../identity/certificate-renewal.js';
import { forgetComputer } from '../identity/deactivation.js';
import { type DeactivationRecord, writeDeactivationRecord } from '../identity/deactivation-record.js';
import {
  type AgentIdentity,
  identityPaths,
  readIdentity,
  resolveDataDir,
  writeClusterManagerUrls,
} from '../identity/identity-store.js';
import { type AgentLogger, jsonLogger } from '../log/json-logger.js';
import { type KernelHook, ModuleRuntime, type ModuleRuntimeOptions } from '../modules/module-runtime.js';
import { agentModules } from '../modules/registry.js';
import { type EmitCheckpoints, type EmitOutcome, EventSpool, type SpoolCounters } from '../spool/event-spool.js';
import { EventUploader } from '../spool/event-uploader.js';
import { UpdateStore } from '../updates/update-store.js';
import { UpdateSync } from '../updates/update-sync.js';
import { CommandRunner } from './command-runner.js';
import { ConfigurationApplier } from './configuration-applier.js';
import { InventorySender } from './inventory-sender.js';
import { readLocalOptions, resolveLocalOptionsPath } from './local-options.js';
import { SnapshotSync } from './snapshot-sync.js';
import { type DaemonStatus, readDaemonStatus, writeDaemonStatus } from './status-file.js';
import { pollForWake } from './wake-poll.js';
import { WakeableDelay } from './wakeable-delay.js';

export interface StartAgentOptions {
  readonly dataDir?: string;
  readonly log?: AgentLogger;
  readonly factories?: ModuleRuntimeOptions['factories'];
  /** Seconds the manager may hold a wake call open; tests shorten it. */
  readonly wakeTimeoutSeconds?: number;
  /** Upper bound on the heartbeat interval, whatever the manager says (tests). */
  readonly maxHeartbeatIntervalMs?: number;
  readonly uploaderIdleMs?: number;
  /** The host's local options file; default $BULWARK_AGENT_CONFIG, else /etc/bulwark/agent.conf. */
  readonly localOptionsPath?: string;
}

export interface RunningAgent {
  readonly computerId: string;
  readonly dataDir: string;
  /** Spools an event as a module would, with a source's checkpoints if given. */
  emit(event: NewEvent, source?: EmitCheckpoints): EmitOutcome;
  /** Asks for a heartbeat now and resolves once one has completed (or failed). */
  heartbeatNow(): Promise<void>;
  status(): DaemonStatus;
  readonly runtime: ModuleRuntime;
  readonly spool: EventSpool;
  /** Resolves when the agent should end on its own, e.g. its identity was removed by deactivation. */
  readonly ended: Promise<string>;
  stop(): Promise<void>;
}

export type StartAgentResult =
  | { readonly ok: true; readonly agent: RunningAgent }
  | { readonly ok: false; readonly code: 'not-activated' | 'damaged'; readonly message: string };

/**
 * The agent daemon: applies the last known configuration at once, then keeps in touch with the
 * manager (heartbeats, wake long-poll, event upload, inventory) until stop().
 */
export async function startAgent(options: StartAgentOptions = {}): Promise<StartAgentResult> {
  const dataDir = resolveDataDir(options.dataDir);
  const read = readIdentity(dataDir);
  if (read.kind === 'not-activated') {
    return {
      ok: false,
      code: 'not-activated',
      message: `not activated (data dir ${dataDir}); run "bulwark-agent activate --manager URL --token T" first`,
    };
  }
  if (read.kind === 'damaged')
    return { ok: false, code: 'damaged', message: `identity in ${dataDir} cannot be read: ${read.reason}` };
  let daemon: AgentDaemon;
  try {
    daemon = new AgentDaemon(read.identity, dataDir, options);
  } catch (error) {
    // Starting afresh would reuse seqs the manager already has (and it would drop those events).
    return {
      ok: false,
      code: 'damaged',
      message: `the event spool ${join(dataDir, 'spool.db')} cannot be opened: ${(error as Error).message}; move it aside only if losing its events is acceptable`,
    };
  }
  await daemon.start();
  return { ok: true, agent: daemon };
}

class AgentDaemon implements RunningAgent {
  readonly computerId: string;
  readonly dataDir: string;
  readonly spool: EventSpool;
  readonly runtime: ModuleRuntime;
  #identity: AgentIdentity;
  readonly #options: StartAgentOptions;
  readonly #log: AgentLogger;
  readonly #channel: ManagerChannel;
  readonly #uploader: EventUploader;
  readonly #commands: CommandRunner;
  readonly #snapshots: SnapshotSync;
  readonly #configuration: ConfigurationApplier;
  readonly #inventory: InventorySender;
  readonly #updates: UpdateSync;
  readonly #heartbeatDelay = new WakeableDelay();
  readonly #controller = new AbortController();
  readonly #startedAt = new Date().toISOString();
  #stopped = false;
  #closed = false;
  #identityWatch: NodeJS.Timeout | null = null;
  #finalCounters: SpoolCounters = {
    pendingEvents: 0,
    droppedEvents: 0,
    clippedEvents: 0,
    invalidEvents: 0,
    lastSeq: 0,
  };
  #loops: Promise<void>[] = [];
  #intervalSeconds: number;
  #lastContactAt: string | null = null;
  #lastError: string | null = null;
  /** Set when the computer was deactivated: stop() then removes the kernel hooks instead of keeping them. */
  #deactivatedBy: DeactivationRecord['by'] | null = null;
  /** The hooks left enforcing when stop() ended (a plain stop keeps them; deactivation removes them). */
  #hooksAfterStop: KernelHook[] = [];
  #heartbeatWaiters: (() => void)[] = [];
  /** Settles after the first heartbeat of this run; modules replay backlogs only then. */
  readonly #firstContact = settleable();
  /** The spool refused events (cannot write): said once in the log, not once per event. */
  #spoolFull = false;
  #end: (reason: string) => void = () => {};
  readonly ended = new Promise<string>((resolve) => {
    this.#end = resolve;
  });

  constructor(identity: AgentIdentity, dataDir: string, options: StartAgentOptions) {
    this.#identity = identity;
    this.computerId = identity.computerId;
    this.dataDir = dataDir;
    this.#options = options;
    this.#log = (options.log ?? jsonLogger()).child({ computerId: identity.computerId });
    this.#intervalSeconds = identity.heartbeatIntervalSeconds;
    // After a restart, "last contact" is the previous run's until this one reaches the manager.
    this.#lastContactAt = readDaemonStatus(dataDir)?.lastContactAt ?? null;
    this.spool = EventSpool.open(join(dataDir, 'spool.db'));
    this.#channel = new ManagerChannel(
      {
        managerUrl: identity.managerUrl,
        ...(identity.alternateManagerUrls ? { alternateManagerUrls: identity.alternateManagerUrls } : {}),
        ...(identity.clusterManagerUrls ? { clusterManagerUrls: identity.clusterManagerUrls } : {}),
        keyPem: identity.keyPem,
        certificatePem: identity.certificatePem,
        caPem: identity.caPem,
      },
      {
        onFailover: (change) => {
          this.#log.warn('manager node changed', change);
          this.#writeStatus();
        },
      },
    );
    this.#uploader = new EventUploader({
      spool: this.spool,
      channel: this.#channel,
      log: this.#log,
      onContact: () => this.#contact(),
      ...(options.uploaderIdleMs ? { idleMs: options.uploaderIdleMs } : {}),
    });
    // Read once: a change made on the host takes effect when the agent restarts, as in OSSEC.
    const updateStore = new UpdateStore(dataDir);
    this.#updates = new UpdateSync({
      store: updateStore,
      channel: this.#channel,
      caPem: identity.caPem,
      log: this.#log,
      signal: this.#controller.signal,
    });
    const localOptions = readLocalOptions(resolveLocalOptionsPath(options.localOptionsPath));
    if (localOptions.problem) this.#log.warn('local options', { problem: localOptions.problem });
    this.runtime = new ModuleRuntime({
      factories: options.factories ?? agentModules,
      dataDir,
      localOptions,
      managerUrl: identity.managerUrl,
      firstContact: this.#firstContact.promise,
      log: this.#log,
      updates: updateStore,
      emit: (event) => void this.emit(event),
      sourceSpool: (module) => ({
        checkpoints: () => this.spool.checkpoints(module),
        emit: (event, checkpoints) => this.emit(event, { module, checkpoints }),
        advance: (checkpoints) => this.spool.advance(module, checkpoints),
      }),
      reportInventory: (inventory) => this.#inventory.report(inventory),
    });
    const link = { channel: this.#channel, log: this.#log, signal: this.#controller.signal };
    const onFailure = (what: string, reason: string) => this.#failure(what, reason);
    this.#inventory = new InventorySender({ ...link, onContact: () => this.#contact(), onFailure });
    this.#configuration = new ConfigurationApplier({
      ...link,
      computerId: this.computerId,
      dataDir,
      runtime: this.runtime,
      spool: this.spool,
      emit: (event) => void this.emit(event),
      onHeartbeatInterval: (seconds) => {
        this.#intervalSeconds = seconds;
      },
      onFailure,
      updates: this.#updates,
    });
    this.#snapshots = new SnapshotSync({ ...link, modules: () => this.runtime.modules() });
    this.#commands = new CommandRunner({
      ...link,
      module: (id) => this.runtime.module(id),
      // A rebuilt baseline is a new snapshot: offer it now rather than after the next heartbeat.
      onFinished: () => this.#snapshots.sync(),
    });
  }

  async start(): Promise<void> {
    this.#log.info('agent starting', {
      managerUrl: this.#identity.managerUrl,
      version: AGENT_VERSION,
      pid: process.pid,
    });
    // Protect the host with what we had before contacting anyone.
    await this.#configuration.applyStored();
    this.#writeStatus();
    this.#uploader.start();
    this.#loops.push(
      this.#heartbeatLoop(),
      pollForWake({
        channel: this.#channel,
        log: this.#log,
        signal: this.#controller.signal,
        timeoutSeconds: this.#options.wakeTimeoutSeconds ?? 55,
        onReachable: () => this.#uploader.managerReachable(),
        onWake: () => this.#heartbeatDelay.wake(),
      }),
    );
    // `bulwark-agent deactivate` removes the identity; notice within seconds, not at the next heartbeat.
    this.#identityWatch = setInterval(() => {
      if (!existsSync(identityPaths(this.dataDir).identity)) this.#deactivated('local');
    }, 2000);
    this.#identityWatch.unref();
  }

  emit(event: NewEvent, source?: EmitCheckpoints): EmitOutcome {
    let outcome: EmitOutcome;
    try {
      outcome = this.spool.emit(event, source);
    } catch (error) {
      // Only a closed spool throws: the agent is stopping, its sources keep their place.
      this.#log.error('event could not be spooled', { error: (error as Error).message, module: event.module });
      return { kind: 'full', reason: (error as Error).message };
    }
    if (outcome.kind === 'full') {
      if (!this.#spoolFull) {
        this.#spoolFull = true;
        this.#log.error('the event spool cannot write: sources wait, other events are counted as dropped', {
          reason: outcome.reason,
          module: event.module,
        });
        this.#writeStatus();
      }
      return outcome;
    }
    if (this.#spoolFull && this.spool.writeProblem === undefined) {
      this.#spoolFull = false;
      this.#log.info('the event spool writes again');
    }
    if (outcome.kind === 'spooled') this.#uploader.kick();
    else if (outcome.kind === 'invalid')
      this.#log.warn('invalid event not spooled', { module: event.module, reason: outcome.reason });
    return outcome;
  }

  heartbeatNow(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.#heartbeatWaiters.push(resolve);
      this.#heartbeatDelay.wake();
    });
  }

  status(): DaemonStatus {
    const counters = this.#closed ? this.#finalCounters : this.spool.counters();
    const problem = this.#closed ? undefined : this.spool.writeProblem;
    return {
      pid: process.pid,
      running: !this.#stopped,
      startedAt: this.#startedAt,
      updatedAt: new Date().toISOString(),
      appliedConfigurationVersion: this.#configuration.version,
      configurationError: this.#configuration.error,
      lastContactAt: this.#lastContactAt,
      lastError: this.#lastError,
      managerNode: this.#channel.currentManagerUrl,
      heartbeatIntervalSeconds: this.#intervalSeconds,
      kernelHooks: this.#stopped ? this.#hooksAfterStop : this.runtime.kernelHooks(),
      modules: this.runtime.status(),
      updates: this.#updates.reports(),
      spool: {
        pendingEvents: counters.pendingEvents,
        droppedEvents: counters.droppedEvents,
        clippedEvents: counters.clippedEvents,
        ...(problem ? { problem } : {}),
      },
    };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#log.info('agent stopping');
    this.#controller.abort();
    if (this.#identityWatch) clearInterval(this.#identityWatch);
    this.#heartbeatDelay.wake();
    await this.#uploader.stop();
    await Promise.all(this.#loops);
    await this.#commands.idle();
    await this.#snapshots.idle();
    let hooksLeft: DeactivationRecord['hooksLeft'] = [];
    if (this.#deactivatedBy !== null) {
      hooksLeft = await this.runtime.removeFromHost();
      this.#hooksAfterStop = hooksLeft.map((h) => ({ module: h.module, hook: `not removed: ${h.reason}` }));
    } else {
      // A plain stop (SIGTERM, a restart) keeps them: the host stays protected while no agent runs.
      this.#hooksAfterStop = this.runtime.kernelHooks();
      await this.runtime.stopAll();
    }
    for (const resolve of this.#heartbeatWaiters.splice(0)) resolve();
    this.#firstContact.resolve();
    this.#end('stopped');
    this.#writeStatus();
    this.#finalCounters = this.spool.counters();
    this.#closed = true;
    this.spool.close();
    this.#channel.close();
    if (this.#deactivatedBy === 'manager') {
      // The manager has revoked this computer: nothing here can be used or delivered again.
      const discardedEvents = forgetComputer(this.dataDir);
      writeDeactivationRecord(this.dataDir, {
        by: 'manager',
        at: new Date().toISOString(),
        computerId: this.computerId,
        managerUrl: this.#identity.managerUrl,
        discardedEvents,
        hooksLeft,
      });
      this.#log.warn('deactivated by the manager: identity removed', { discardedEvents, hooksLeft });
    }
    this.#log.info('agent stopped');
  }

  /** The computer is deactivated (identity removed here, or the manager said so): end, removing the hooks. */
  #deactivated(by: DeactivationRecord['by']): void {
    if (this.#deactivatedBy !== null) return;
    this.#deactivatedBy = by;
    this.#log.warn(
      by === 'manager'
        ? 'the manager deactivated this computer: stopping and removing kernel hooks'
        : 'identity removed (deactivated): stopping and removing kernel hooks',
    );
    this.#end(by === 'manager' ? 'deactivated by the manager' : 'deactivated');
  }

  async #heartbeatLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      if (!existsSync(identityPaths(this.dataDir).identity)) {
        this.#deactivated('local');
        break;
      }
      const waiters = this.#heartbeatWaiters.splice(0);
      let ok: 'ok' | 'applied' | 'failed';
      try {
        ok = await this.#heartbeat();
        // A new configuration was applied: tell the manager at once.
        if (ok === 'applied' && !this.#stopped) ok = await this.#heartbeat();
      } catch (error) {
        // A bug or a full disk must not end the loop that keeps the agent managed.
        this.#failure('heartbeat loop error', (error as Error).message);
        ok = 'failed';
      }
      for (const resolve of waiters) resolve();
      this.#firstContact.resolve();
      failures = ok === 'failed' ? failures + 1 : 0;
      if (this.#stopped || this.#deactivatedBy !== null) break;
      const interval = Math.min(
        this.#intervalSeconds * 1000,
        this.#options.maxHeartbeatIntervalMs ?? Number.POSITIVE_INFINITY,
      );
      await this.#heartbeatDelay.wait(
        failures > 0 ? Math.min(interval, backoffDelay(failures, 2000, 60_000)) : interval,
      );
    }
  }

  /** One heartbeat, and whatever its answer asks for. */
  async #heartbeat(): Promise<'ok' | 'applied' | 'failed'> {
    const counters = this.spool.counters();
    const spoolProblem = this.spool.writeProblem;
    const configurationError = this.#configuration.error;
    const inventoryDigest = this.#inventory.digest;
    const updates = this.#updates.reports();
    const body = {
      appliedConfigurationVersion: this.#configuration.version,
      ...(configurationError ? { configurationError: configurationError.slice(0, 4096) } : {}),
      modules: this.runtime.status(),
      ...(inventoryDigest !== undefined ? { inventoryDigest } : {}),
      spool: {
        pendingEvents: counters.pendingEvents,
        droppedEvents: counters.droppedEvents,
        ...(spoolProblem ? { problem: spoolProblem.slice(0, 1024) } : {}),
      },
      agentVersion: AGENT_VERSION,
      acceptsCommands: true,
      acceptsManagerNodes: true,
      ...(updates.length > 0 ? { updates } : {}),
    };
    const result = await this.#channel.call('POST', AgentRoutes.heartbeat.path, body, HeartbeatResponse, {
      retries: 2,
      signal: this.#controller.signal,
    });
    if (!result.ok) {
      // Only over the pinned mutual-TLS channel: this answer comes from our manager.
      if (result.problemType === COMPUTER_DEACTIVATED_PROBLEM) {
        this.#deactivated('manager');
        return 'failed';
      }
      this.#failure('heartbeat failed', result.message);
      return 'failed';
    }
    this.#contact();
    this.#uploader.managerReachable();
    await this.#renewIfDue();
    const answer = result.value;
    this.#intervalSeconds = Math.max(1, answer.heartbeatIntervalSeconds);
    if (answer.managerNodes) this.#learnClusterNodes(answer.managerNodes);
    if (answer.commands) this.#commands.accept(answer.commands);
    await this.#inventory.afterHeartbeat(answer.sendInventory);
    let outcome: 'ok' | 'applied' = 'ok';
    if (answer.configurationVersion !== this.#configuration.version) {
      outcome = (await this.#configuration.fetchAndApply(answer.configurationVersion)) ? 'applied' : 'ok';
    } else if (await this.#configuration.refreshUpdates()) {
      // A package taken (or rolled back on the host) since the last heartbeat: report it now.
      outcome = 'applied';
    }
    this.#snapshots.sync();
    this.#writeStatus();
    return outcome;
  }

  /** A new list of the cluster's nodes: used for failover at once, and kept for the next start. */
  #learnClusterNodes(urls: readonly string[]): void {
    if (!this.#channel.learnClusterNodes(urls)) return;
    const clusterManagerUrls = this.#channel.clusterManagerUrls;
    this.#log.info('manager nodes of the cluster', { clusterManagerUrls, failoverOrder: this.#channel.managerUrls });
    try {
      writeClusterManagerUrls(this.dataDir, clusterManagerUrls);
      this.#identity = { ...this.#identity, clusterManagerUrls: [...clusterManagerUrls] };
    } catch (error) {
      // Still used until the agent restarts; the next new list is written again.
      this.#log.warn('the list of manager nodes was not saved', { error: (error as Error).message });
    }
  }

  async #renewIfDue(): Promise<void> {
    const renewed = await renewIfDue(this.#channel, this.#identity, this.dataDir, this.#log, this.#controller.signal);
    if (renewed) this.#identity = renewed;
  }

  #contact(): void {
    this.#lastContactAt = new Date().toISOString();
    this.#lastError = null;
  }

  #failure(what: string, reason: string): void {
    if (this.#stopped) return;
    this.#lastError = `${what}: ${reason}`;
    this.#log.warn(what, { reason });
    this.#writeStatus();
  }

  #writeStatus(): void {
    try {
      writeDaemonStatus(this.dataDir, this.status());
    } catch (error) {
      this.#log.warn('status file not written', { error: (error as Error).message });
    }
  }
}

/** A promise and the function that settles it (Promise.withResolvers, which Node 20 lacks). */
function settleable(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
