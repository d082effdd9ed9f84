import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  ModuleConfiguration,
  ModuleStatus,
} from '@bulwark/protocol';
import { describeIssues, parseWith } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import {
  DevicecontrolConfiguration,
  type DeviceDecision,
  decideDevice,
  deviceEvent,
  type EnforcementOutcome,
  parseUeventMessage,
  type Uevent,
  type UsbDevice,
  usbDevicePathOf,
} from '../engine/index.js';
import { DeviceEnforcer, type EnforcedRecord } from './device-enforcer.js';
import { listDevices } from './device-listing.js';
import { type DeviceActions, HOST_PATHS, HostDeviceActions, type HostPaths } from './host-actions.js';
import { listRootHubPaths, listUsbDevicePaths, readUsbDevice } from './sysfs-reader.js';
import { kernelUeventSource, type UeventItem, type UeventSource } from './uevent-source.js';

const ID = 'devicecontrol';
const STATE_FILE = 'enforced.json';
const ACTIONS_OF_INTEREST = new Set(['add', 'bind', 'change']);

const EnforcedRecordSchema = Type.Object({
  blocked: Type.Array(Type.String()),
  limited: Type.Array(
    Type.Object({
      devpath: Type.String(),
      blockDevices: Type.Array(Type.String()),
      remounted: Type.Array(Type.String()),
    }),
  ),
  held: Type.Optional(Type.Array(Type.String())),
});

/** What the agent side is given: the host's paths and where uevents come from (parameters, so tests need no USB bus). */
export interface DevicecontrolAgentOptions {
  readonly paths?: HostPaths;
  readonly ueventSource?: UeventSource;
  readonly actions?: DeviceActions;
}

/**
 * The agent side: evaluates every USB device present when the configuration is applied, then each
 * one the kernel announces (uevents), and carries the decision out through sysfs (`authorized`),
 * the block devices' read-only flag and read-only remounts. Work is done one item at a time, in
 * order, so two uevents of the same plug never race.
 */
class DevicecontrolAgentModule implements AgentModule {
  readonly id = ID;
  readonly #context: AgentModuleContext;
  readonly #paths: HostPaths;
  readonly #source: UeventSource;
  readonly #enforcer: DeviceEnforcer;
  #configuration: DevicecontrolConfiguration | null = null;
  #status: ModuleStatus = { id: ID, state: 'off' };
  #sourceOpen = false;
  #sourceProblem: string | null = null;
  #work: Promise<void> = Promise.resolve();
  #savedRecord = '';
  /** What was last reported per device (devpath → key), so a decision is reported once, not per uevent. */
  readonly #reported = new Map<string, string>();
  readonly #counters = {
    devices: 0,
    blocked: 0,
    readOnly: 0,
    uevents: 0,
    ueventsRefused: 0,
    overruns: 0,
    sysfsErrors: 0,
    enforcementFailures: 0,
  };

  constructor(context: AgentModuleContext, options: DevicecontrolAgentOptions) {
    this.#context = context;
    this.#paths = options.paths ?? HOST_PATHS;
    this.#source = options.ueventSource ?? kernelUeventSource();
    const record = this.#loadRecord();
    this.#savedRecord = JSON.stringify(record ?? null);
    this.#enforcer = new DeviceEnforcer(options.actions ?? new HostDeviceActions(this.#paths), record);
  }

  #loadRecord(): EnforcedRecord | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.#context.dataDir, STATE_FILE), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = parseWith(EnforcedRecordSchema, JSON.parse(text));
      if (parsed.ok) return parsed.value;
      this.#context.log.warn('devicecontrol: the record of what was enforced is unreadable; starting afresh', {
        issues: describeIssues(parsed.issues),
      });
    } catch (error) {
      this.#context.log.warn('devicecontrol: the record of what was enforced is not JSON; starting afresh', {
        error: (error as Error).message,
      });
    }
    return undefined;
  }

  #saveRecord(): void {
    const text = JSON.stringify(this.#enforcer.record());
    if (text === this.#savedRecord) return;
    try {
      this.#context.writeStateFile(STATE_FILE, text);
      this.#savedRecord = text;
    } catch (error) {
      this.#context.log.warn('devicecontrol: could not save what was enforced', { error: (error as Error).message });
    }
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const next = this.#work.then(task).catch((error: unknown) => {
      this.#context.log.error('devicecontrol: device evaluation failed', { error: (error as Error).message });
    });
    this.#work = next;
    return next;
  }

  async apply(configuration: ModuleConfiguration): Promise<void> {
    if (!configuration.enabled) {
      // Off means new devices are configured by the kernel again; what was blocked stays so until
      // the module is removed from the host or a policy allows it.
      await this.#enqueue(async () => {
        this.#logFailures('could not stop holding new devices', await this.#enforcer.release());
        this.#saveRecord();
      });
      await this.stop();
      return;
    }
    const parsed = parseWith(DevicecontrolConfiguration, configuration.configuration);
    if (!parsed.ok) {
      // Keep what is in force: a refused configuration must not switch protection off.
      this.#status = {
        id: ID,
        state: 'error',
        reason: `configuration refused, the previous one stays in force: ${describeIssues(parsed.issues)}`.slice(
          0,
          1024,
        ),
      };
      return;
    }
    this.#configuration = parsed.value;
    if (!this.#sourceOpen) {
      const opened = this.#source.open((items) => this.#onItems(items));
      this.#sourceOpen = opened.available;
      this.#sourceProblem = opened.available ? null : opened.reason;
    }
    const hold = parsed.value.holdNewDevices === true;
    let holdProblem: string | null = null;
    await this.#enqueue(async () => {
      const hubs = await listRootHubPaths(this.#paths.sysfsRoot);
      const failures = !hold
        ? await this.#enforcer.release()
        : hubs.ok
          ? await this.#enforcer.hold(hubs.value)
          : [hubs.reason];
      this.#saveRecord();
      if (failures.length > 0) {
        holdProblem = `could not ${hold ? 'hold' : 'stop holding'} new devices: ${failures.join('; ')}`;
        this.#counters.enforcementFailures++;
        this.#context.log.error(`devicecontrol: ${holdProblem}`);
      }
      await this.#evaluateAll();
    });
    this.#status =
      holdProblem !== null
        ? { id: ID, state: 'error', reason: (holdProblem as string).slice(0, 1024) }
        : this.#sourceProblem === null
          ? { id: ID, state: 'on' }
          : {
              id: ID,
              state: 'error',
              reason:
                `devices present were evaluated, but devices plugged in later are not watched: ${this.#sourceProblem}`.slice(
                  0,
                  1024,
                ),
            };
  }

  async stop(): Promise<void> {
    if (this.#sourceOpen) this.#source.close();
    this.#sourceOpen = false;
    this.#configuration = null;
    await this.#work;
    this.#status = { id: ID, state: 'off' };
  }

  /** Gives back every device this module blocked or made read-only. */
  async removeFromHost(): Promise<void> {
    await this.stop();
    const failures = await this.#enforcer.restoreAll(async (devpath) => {
      const read = await readUsbDevice(this.#paths.sysfsRoot, devpath);
      return read.ok ? read.value : null;
    });
    this.#saveRecord();
    if (failures.length > 0) throw new Error(`devicecontrol: could not give back every device: ${failures.join('; ')}`);
  }

  #logFailures(what: string, failures: readonly string[]): void {
    if (failures.length > 0) this.#context.log.error(`devicecontrol: ${what}`, { failures: [...failures] });
  }

  kernelHooks(): readonly string[] {
    const record = this.#enforcer.record();
    const hooks: string[] = [];
    if ((record.held ?? []).length > 0)
      hooks.push(`new USB devices held unauthorized (authorized_default=0) on ${(record.held ?? []).join(', ')}`);
    if (record.blocked.length > 0) hooks.push(`USB devices deauthorized (authorized=0): ${record.blocked.join(', ')}`);
    const ro = record.limited.flatMap((l) => l.blockDevices);
    if (ro.length > 0) hooks.push(`block devices set read-only: ${ro.join(', ')}`);
    return hooks;
  }

  status(): ModuleStatus {
    const record = this.#enforcer.record();
    return {
      ...this.#status,
      counters: {
        ...this.#counters,
        blocked: record.blocked.length,
        readOnly: record.limited.reduce((n, l) => n + l.blockDevices.length, 0),
      },
    };
  }

  async run(command: string, _args: Readonly<Record<string, unknown>>): Promise<unknown> {
    if (command === 'list-devices')
      return { devices: await listDevices(this.#paths.sysfsRoot, this.#configuration?.policy ?? null) };
    if (command === 'reevaluate') {
      if (this.#configuration === null) throw new Error(`${ID} is off on this computer`);
      await this.#enqueue(() => this.#evaluateAll());
      return { devices: this.#counters.devices };
    }
    throw new Error(`${ID} has no command "${command}"; its commands: list-devices, reevaluate`);
  }

  #onItems(items: readonly UeventItem[]): void {
    for (const item of items) {
      if (item.kind === 'overrun') {
        // Messages were lost: what they said is not known, so every device is looked at again.
        this.#counters.overruns++;
        this.#context.log.warn('devicecontrol: the kernel dropped uevents; evaluating every device again');
        void this.#enqueue(() => this.#evaluateAll());
        continue;
      }
      this.#counters.uevents++;
      const parsed = parseUeventMessage(item.bytes);
      if (!parsed.ok) {
        this.#counters.ueventsRefused++;
        this.#context.log.warn('devicecontrol: uevent refused', {
          code: parsed.error.code,
          reason: parsed.error.message,
        });
        continue;
      }
      this.#onUevent(parsed.value);
    }
  }

  #onUevent(event: Uevent): void {
    const subsystem = event.properties.SUBSYSTEM;
    if (subsystem !== 'usb' && subsystem !== 'block') return;
    const devpath = usbDevicePathOf(event.devpath);
    if (devpath === null) return;
    if (event.action === 'remove' && devpath === event.devpath) {
      void this.#enqueue(async () => {
        this.#enforcer.forget(devpath);
        this.#reported.delete(devpath);
        this.#saveRecord();
      });
      return;
    }
    if (!ACTIONS_OF_INTEREST.has(event.action)) return;
    void this.#enqueue(() => this.#evaluate(devpath));
  }

  async #evaluateAll(): Promise<void> {
    const paths = await listUsbDevicePaths(this.#paths.sysfsRoot);
    if (!paths.ok) {
      this.#counters.sysfsErrors++;
      this.#context.log.error('devicecontrol: cannot list USB devices', { reason: paths.reason });
      return;
    }
    this.#counters.devices = paths.value.length;
    for (const devpath of paths.value) await this.#evaluate(devpath);
  }

  async #evaluate(devpath: string): Promise<void> {
    const configuration = this.#configuration;
    if (configuration === null) return;
    const read = await readUsbDevice(this.#paths.sysfsRoot, devpath);
    if (!read.ok) {
      // Unplugged between the uevent and the read: nothing to decide. Anything else is counted.
      if (!read.gone) {
        this.#counters.sysfsErrors++;
        this.#context.log.warn('devicecontrol: a USB device could not be read', { reason: read.reason });
      }
      return;
    }
    const device = read.value;
    const decision = decideDevice(configuration.policy, device);
    if (this.#cannotTell(device, decision)) return;
    const outcome = await this.#enforcer.enforce(device, decision);
    this.#saveRecord();
    this.#report(device, decision, outcome, configuration.reportAttached);
  }

  /**
   * A device this module blocked has no interface directories any more; if its descriptors
   * cannot be read either, its class is unknown, and "other" must not give it back.
   */
  #cannotTell(device: UsbDevice, decision: DeviceDecision): boolean {
    return (
      !device.authorized &&
      this.#enforcer.isBlockedByUs(device.devpath) &&
      device.interfaces.length === 0 &&
      decision.exception === null &&
      decision.access !== 'block'
    );
  }

  #report(device: UsbDevice, decision: DeviceDecision, outcome: EnforcementOutcome, reportAttached: boolean): void {
    if (outcome.failures.length > 0) this.#counters.enforcementFailures++;
    // Read-only is worth an event once storage is there to limit (the interface comes before its disk).
    if (decision.access === 'read-only' && outcome.readOnlyDevices.length === 0 && outcome.failures.length === 0)
      return;
    const key = [
      decision.access,
      [...outcome.readOnlyDevices].sort().join(','),
      outcome.failures.length > 0 ? 'failed' : '',
    ].join('|');
    if (this.#reported.get(device.devpath) === key) return;
    this.#reported.set(device.devpath, key);
    const event = deviceEvent(device, decision, outcome, reportAttached);
    if (event !== null) this.#context.emit(event);
  }
}

/** A device-control agent module with its host paths and uevent source given (tests, other roots). */
export function createDevicecontrolAgent(
  context: AgentModuleContext,
  options: DevicecontrolAgentOptions = {},
): AgentModule {
  return new DevicecontrolAgentModule(context, options);
}

/** The agent side of the module: what the agent's registry lists. */
export const agentModule: AgentModuleFactory = {
  id: ID,
  create: (context) => new DevicecontrolAgentModule(context, { paths: hostPaths(context) }),
};

/**
 * The host's paths. `devicecontrol.sysfsRoot` in the agent's local options moves the sysfs root:
 * an agent in a container sees the host's devices where the host's /sys is mounted (/host/sys),
 * and the platform test points it at a tree laid out as the kernel does.
 */
function hostPaths(context: AgentModuleContext): HostPaths {
  const sysfsRoot = context.localOptions?.get(`${ID}.sysfsRoot`);
  return sysfsRoot?.startsWith('/') ? { ...HOST_PATHS, sysfsRoot: sysfsRoot } : HOST_PATHS;
}
