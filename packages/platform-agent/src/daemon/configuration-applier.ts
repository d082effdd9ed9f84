import { AgentRoutes, type NewEvent, PlatformEventTypes, type SecurityConfiguration } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { ManagerChannel } from '../channel/manager-channel.js';
import type { AgentLogger } from '../log/json-logger.js';
import type { ModuleRuntime } from '../modules/module-runtime.js';
import type { EventSpool } from '../spool/event-spool.js';
import type { UpdateSync } from '../updates/update-sync.js';
import { checkConfiguration, loadAppliedConfiguration, saveAppliedConfiguration } from './configuration-store.js';

export interface ConfigurationApplierOptions {
  readonly computerId: string;
  readonly dataDir: string;
  readonly channel: Pick<ManagerChannel, 'call'>;
  readonly log: AgentLogger;
  readonly signal: AbortSignal;
  readonly runtime: Pick<ModuleRuntime, 'apply'>;
  readonly spool: Pick<EventSpool, 'setLimits'>;
  /** Spools an agent event (a new configuration applied). */
  readonly emit: (event: NewEvent) => void;
  /** The heartbeat interval an applied configuration sets. */
  readonly onHeartbeatInterval: (seconds: number) => void;
  /** A download failed; `reason` says why. */
  readonly onFailure: (what: string, reason: string) => void;
  /** Brings the update packages to what each configuration names, before the modules apply it. */
  readonly updates?: Pick<UpdateSync, 'sync' | 'fingerprint'>;
}

/**
 * The security configuration the agent enforces: the stored copy at start (the host is protected
 * before the manager is reached), then each new version the manager names, downloaded, checked
 * (schema, computer, version hash), applied to the platform and the modules, and stored.
 */
export class ConfigurationApplier {
  readonly #options: ConfigurationApplierOptions;
  #applied: SecurityConfiguration | null = null;
  #error: string | null = null;
  /** The update packages in use when the modules last applied (UpdateSync.fingerprint). */
  #packages = '';

  constructor(options: ConfigurationApplierOptions) {
    this.#options = options;
  }

  /** The version applied, null before the first. */
  get version(): string | null {
    return this.#applied?.version ?? null;
  }

  /** Why the last configuration downloaded was refused; null once one is applied. */
  get error(): string | null {
    return this.#error;
  }

  /** Applies the configuration stored by the last run, if there is one. */
  async applyStored(): Promise<void> {
    const stored = loadAppliedConfiguration(this.#options.dataDir, this.#options.computerId);
    if (stored) await this.#apply(stored, false);
  }

  /** True when there is something new to report (applied, or refused with a reason). */
  async fetchAndApply(version: string): Promise<boolean> {
    const { channel, log, signal, computerId } = this.#options;
    const path = AgentRoutes.configuration.path.replace(':version', encodeURIComponent(version));
    const result = await channel.call('GET', path, undefined, Type.Unknown(), { retries: 2, signal });
    if (!result.ok) {
      this.#options.onFailure('configuration download failed', result.message);
      return false;
    }
    // The manager answers with the current configuration when the one asked for is gone (changed
    // again in between): its content hash is checked, so any version it sends is one it compiled.
    const checked = checkConfiguration(result.value, { computerId });
    if (!checked.ok) {
      this.#error = checked.reason;
      log.error('configuration refused', { version, reason: checked.reason });
      return true; // the heartbeat right after reports the error
    }
    if (checked.configuration.version !== version)
      log.info('the manager sent its current configuration instead of the one asked for', {
        asked: version,
        current: checked.configuration.version,
      });
    await this.#apply(checked.configuration, true);
    return true;
  }

  /**
   * Takes update packages the last attempt could not have (a download cut short) and notices a
   * rollback made on the host: when a package in use changed, the modules apply the same
   * configuration again, which makes them load it.
   */
  async refreshUpdates(): Promise<boolean> {
    const { updates, runtime, log } = this.#options;
    if (updates === undefined || this.#applied === null) return false;
    await updates.sync(this.#applied.updates ?? {});
    const packages = updates.fingerprint();
    if (packages === this.#packages) return false;
    log.info('update packages changed: applying the configuration again', { version: this.#applied.version });
    await runtime.apply(this.#applied);
    this.#packages = packages;
    return true;
  }

  async #apply(configuration: SecurityConfiguration, persist: boolean): Promise<void> {
    const { spool, runtime, dataDir, log, updates } = this.#options;
    // A package that cannot be had now leaves the one in use; the next heartbeat tries again.
    if (persist && updates !== undefined) await updates.sync(configuration.updates ?? {});
    spool.setLimits({
      maxEvents: configuration.platform.eventSpoolMaxEvents,
      minimumSeverity: configuration.platform.minimumEventSeverity,
    });
    this.#options.onHeartbeatInterval(configuration.platform.heartbeatIntervalSeconds);
    await runtime.apply(configuration);
    this.#packages = updates?.fingerprint() ?? '';
    if (persist) saveAppliedConfiguration(dataDir, configuration);
    const changed = this.#applied?.version !== configuration.version;
    this.#applied = configuration;
    this.#error = null;
    if (changed && persist) {
      this.#options.emit({
        module: 'agent',
        type: PlatformEventTypes.configurationApplied,
        severity: 'info',
        summary: `security configuration ${configuration.version.slice(0, 12)} applied`,
        details: { version: configuration.version },
      });
    }
    log.info('configuration applied', { version: configuration.version, modules: Object.keys(configuration.modules) });
  }
}
