import type { DeviceDecision, EnforcementOutcome, UsbDevice } from '../engine/index.js';
import type { DeviceActions } from './host-actions.js';

/**
 * Carries out decisions on the host and remembers what it changed, so that a device it blocked
 * or made read-only is given back when the policy (or an exception) later allows it, and nothing
 * it did not change is touched. The record is kept in the module's data dir across restarts.
 */
export interface EnforcedRecord {
  /** Devpaths of USB devices this module deauthorized. */
  readonly blocked: readonly string[];
  /** Per USB device: the block devices set read-only and the mount points remounted read-only. */
  readonly limited: readonly {
    readonly devpath: string;
    readonly blockDevices: readonly string[];
    readonly remounted: readonly string[];
  }[];
  /** Root hubs whose authorized_default this module set to 0 (new devices held). Absent in older records. */
  readonly held?: readonly string[];
}

interface Limited {
  blockDevices: Set<string>;
  remounted: Set<string>;
}

export class DeviceEnforcer {
  readonly #actions: DeviceActions;
  readonly #blocked = new Set<string>();
  readonly #limited = new Map<string, Limited>();
  readonly #held = new Set<string>();

  constructor(actions: DeviceActions, record?: EnforcedRecord) {
    this.#actions = actions;
    for (const devpath of record?.blocked ?? []) this.#blocked.add(devpath);
    for (const hub of record?.held ?? []) this.#held.add(hub);
    for (const l of record?.limited ?? [])
      this.#limited.set(l.devpath, { blockDevices: new Set(l.blockDevices), remounted: new Set(l.remounted) });
  }

  record(): EnforcedRecord {
    return {
      blocked: [...this.#blocked].sort(),
      limited: [...this.#limited].map(([devpath, l]) => ({
        devpath,
        blockDevices: [...l.blockDevices].sort(),
        remounted: [...l.remounted].sort(),
      })),
      held: [...this.#held].sort(),
    };
  }

  /** New devices below these root hubs wait unauthorized until decided (authorized_default=0). */
  async hold(hubs: readonly string[]): Promise<string[]> {
    const failures: string[] = [];
    for (const hub of hubs) {
      if (this.#held.has(hub)) continue;
      const failed = await this.#actions.setAuthorizedDefault(hub, false);
      if (failed !== null) failures.push(failed);
      else this.#held.add(hub);
    }
    return failures;
  }

  /** New devices are configured by the kernel again as they come (authorized_default=1). */
  async release(): Promise<string[]> {
    const failures: string[] = [];
    for (const hub of [...this.#held]) {
      const failed = await this.#actions.setAuthorizedDefault(hub, true);
      if (failed !== null) failures.push(failed);
      else this.#held.delete(hub);
    }
    return failures;
  }

  get holding(): boolean {
    return this.#held.size > 0;
  }

  isBlockedByUs(devpath: string): boolean {
    return this.#blocked.has(devpath);
  }

  /** The device is gone: what was done to it went with it. */
  forget(devpath: string): void {
    this.#blocked.delete(devpath);
    this.#limited.delete(devpath);
  }

  async enforce(device: UsbDevice, decision: DeviceDecision): Promise<EnforcementOutcome> {
    const failures: string[] = [];
    if (decision.access === 'block') {
      this.#limited.delete(device.devpath);
      if (device.authorized) {
        const failed = await this.#actions.setAuthorized(device.devpath, false);
        if (failed !== null) failures.push(failed);
        else this.#blocked.add(device.devpath);
      } else if (this.holding) {
        // Held by authorized_default=0 and left so: ours to give back if the policy changes.
        this.#blocked.add(device.devpath);
      }
      return { readOnlyDevices: [], remounted: [], failures };
    }
    if (!device.authorized && (this.#blocked.has(device.devpath) || this.holding)) {
      // Allowed now (full or read-only): give the device back; its storage shows up again through uevents.
      const failed = await this.#actions.setAuthorized(device.devpath, true);
      if (failed !== null) failures.push(failed);
      else this.#blocked.delete(device.devpath);
    }
    if (decision.access === 'read-only') return this.#limit(device, failures);
    return this.#restore(device, failures);
  }

  async #limit(device: UsbDevice, failures: string[]): Promise<EnforcementOutcome> {
    const limited = this.#limited.get(device.devpath) ?? {
      blockDevices: new Set<string>(),
      remounted: new Set<string>(),
    };
    this.#limited.set(device.devpath, limited);
    const devs = new Set<string>();
    const readOnlyDevices: string[] = [];
    for (const block of device.blockDevices) {
      for (const b of [block, ...block.partitions]) {
        devs.add(b.dev);
        // The flag first: a mount made after this point is read-only already.
        if (!b.readOnly) {
          const failed = await this.#actions.setBlockReadOnly(b.name, true);
          if (failed !== null) {
            failures.push(failed);
            continue;
          }
          limited.blockDevices.add(b.name);
        }
        readOnlyDevices.push(b.name);
      }
    }
    const remounted: string[] = [];
    if (devs.size > 0) {
      const mounts = await this.#actions.mounts();
      if (!mounts.ok) failures.push(mounts.reason);
      else {
        for (const m of mounts.value.filter((m) => devs.has(m.dev) && !m.readOnly)) {
          const failed = await this.#actions.remount(m.mountPoint, true);
          if (failed !== null) failures.push(failed);
          else {
            limited.remounted.add(m.mountPoint);
            remounted.push(m.mountPoint);
          }
        }
      }
    }
    return { readOnlyDevices, remounted, failures };
  }

  async #restore(device: UsbDevice, failures: string[]): Promise<EnforcementOutcome> {
    const limited = this.#limited.get(device.devpath);
    if (limited === undefined) return { readOnlyDevices: [], remounted: [], failures };
    const present = new Map(device.blockDevices.flatMap((b) => [b, ...b.partitions]).map((b) => [b.name, b]));
    for (const name of [...limited.blockDevices]) {
      if (!present.has(name)) {
        limited.blockDevices.delete(name);
        continue;
      }
      const failed = await this.#actions.setBlockReadOnly(name, false);
      if (failed !== null) failures.push(failed);
      else limited.blockDevices.delete(name);
    }
    const remounted: string[] = [];
    if (limited.remounted.size > 0) {
      const mounts = await this.#actions.mounts();
      if (!mounts.ok) failures.push(mounts.reason);
      else {
        const devs = new Set([...present.values()].map((b) => b.dev));
        for (const mountPoint of [...limited.remounted]) {
          const m = mounts.value.find((e) => e.mountPoint === mountPoint && devs.has(e.dev));
          if (m === undefined || !m.readOnly) {
            limited.remounted.delete(mountPoint);
            continue;
          }
          const failed = await this.#actions.remount(mountPoint, false);
          if (failed !== null) failures.push(failed);
          else {
            limited.remounted.delete(mountPoint);
            remounted.push(mountPoint);
          }
        }
      }
    }
    if (limited.blockDevices.size === 0 && limited.remounted.size === 0) this.#limited.delete(device.devpath);
    return { readOnlyDevices: [], remounted, failures };
  }

  /** Gives back everything this module changed (the agent is being removed from the host). */
  async restoreAll(read: (devpath: string) => Promise<UsbDevice | null>): Promise<string[]> {
    const failures: string[] = await this.release();
    for (const devpath of [...this.#blocked]) {
      const failed = await this.#actions.setAuthorized(devpath, true);
      if (failed !== null) failures.push(failed);
      else this.#blocked.delete(devpath);
    }
    for (const devpath of [...this.#limited.keys()]) {
      const device = await read(devpath);
      if (device === null) {
        this.#limited.delete(devpath);
        continue;
      }
      const outcome = await this.#restore(device, []);
      failures.push(...outcome.failures);
    }
    return failures;
  }
}
