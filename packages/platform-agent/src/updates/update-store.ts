import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDirectory, writeFileAtomic } from '@bulwark/host-files';
import {
  type InstalledUpdatePackage,
  parseWith,
  UPDATE_KIND_PATTERN,
  type UpdatePackageReader,
  UpdatePackageRef,
} from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';

const StoreState = Type.Object(
  {
    current: Type.Union([UpdatePackageRef, Type.Null()]),
    previous: Type.Union([UpdatePackageRef, Type.Null()]),
    /** Rolled back on the host from this version: not taken again while the manager names it. */
    heldBack: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type StoreState = Static<typeof StoreState>;

const EMPTY: StoreState = { current: null, previous: null, heldBack: null };
const KIND = new RegExp(UPDATE_KIND_PATTERN);

export type StoreResult =
  | { readonly ok: true; readonly state: StoreState }
  | { readonly ok: false; readonly reason: string };

/**
 * The verified update packages on the host, in `<dataDir>/updates/<kind>/`: one file per version
 * kept (`<version>.pkg`, the current one and the previous one), and `state.json` saying which is
 * which. state.json is replaced atomically and is the commit point of every swap: a crash leaves
 * the old state or the new, and a package file is in place (fsynced) before a state names it.
 * Downloads in progress live beside them (`<version>.part`) until verified.
 */
export class UpdateStore implements UpdatePackageReader {
  readonly #root: string;

  constructor(dataDir: string) {
    this.#root = join(dataDir, 'updates');
  }

  dir(kind: string): string {
    if (!KIND.test(kind)) throw new Error(`"${kind}" is not an update kind`);
    return join(this.#root, kind);
  }

  packagePath(kind: string, version: number): string {
    return join(this.dir(kind), `${version}.pkg`);
  }

  partPath(kind: string, version: number): string {
    return join(this.dir(kind), `${version}.part`);
  }

  kinds(): string[] {
    if (!existsSync(this.#root)) return [];
    return readdirSync(this.#root).filter((k) => KIND.test(k) && existsSync(join(this.#root, k, 'state.json')));
  }

  state(kind: string): StoreState {
    const path = join(this.dir(kind), 'state.json');
    let body: unknown;
    try {
      body = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      return EMPTY;
    }
    const parsed = parseWith(StoreState, body);
    return parsed.ok ? parsed.value : EMPTY;
  }

  current(kind: string): InstalledUpdatePackage | undefined {
    if (!KIND.test(kind)) return undefined;
    const { current } = this.state(kind);
    if (current === null) return undefined;
    return { kind, ...current, path: this.packagePath(kind, current.version) };
  }

  /**
   * Makes a verified file (`source`, in this kind's directory) the current version; the current
   * one becomes the previous, older files go.
   */
  install(kind: string, ref: UpdatePackageRef, source: string): StoreState {
    const dir = this.dir(kind);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    renameSync(source, this.packagePath(kind, ref.version));
    fsyncDirectory(dir);
    const before = this.state(kind);
    const previous =
      before.current !== null && before.current.version !== ref.version ? before.current : before.previous;
    return this.#commit(kind, { current: ref, previous, heldBack: null });
  }

  /**
   * Swaps current and previous. `hold`: a rollback decided on the host, so the version left is
   * not taken again until the manager names another. The previous file is checked against its
   * hash first: a damaged one is refused, and the current version stays.
   */
  swap(kind: string, hold: boolean): StoreResult {
    const before = this.state(kind);
    if (before.previous === null) return { ok: false, reason: `there is no previous ${kind} package to go back to` };
    const problem = this.#damage(kind, before.previous);
    if (problem !== null) return { ok: false, reason: problem };
    return {
      ok: true,
      state: this.#commit(kind, {
        current: before.previous,
        previous: before.current,
        heldBack: hold && before.current !== null ? before.current.version : null,
      }),
    };
  }

  /** The manager names another version than the one held back: the hold ends. */
  release(kind: string): StoreState {
    return this.#commit(kind, { ...this.state(kind), heldBack: null });
  }

  #damage(kind: string, ref: UpdatePackageRef): string | null {
    let content: Buffer;
    try {
      content = readFileSync(this.packagePath(kind, ref.version));
    } catch (error) {
      return `${kind} version ${ref.version} cannot be read: ${(error as Error).message}`;
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    return sha256 === ref.sha256 && content.length === ref.size
      ? null
      : `${kind} version ${ref.version} on disk no longer matches its hash`;
  }

  #commit(kind: string, state: StoreState): StoreState {
    const dir = this.dir(kind);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(join(dir, 'state.json'), JSON.stringify(state), 0o600);
    const keep = new Set([state.current?.version, state.previous?.version].filter((v) => v !== undefined));
    for (const name of readdirSync(dir)) {
      const match = /^(\d+)\.pkg$/.exec(name);
      if (match && !keep.has(Number(match[1]))) rmSync(join(dir, name), { force: true });
    }
    return state;
  }
}
