import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentModuleContext, describeIssues, parseWith } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';

/** A saved key list of the engine: the first-time-seen entries (`<if_fts/>`) or the ignore list. */
const RememberedKeysFile = Type.Object(
  { version: Type.Literal(1), entries: Type.Array(Type.String({ maxLength: 65_536 }), { maxItems: 100_000 }) },
  { additionalProperties: false },
);
type RememberedKeysFile = Static<typeof RememberedKeysFile>;

/** What the engine exposes of such a list (BoundedKeys). */
interface KeyList {
  readonly changes: number;
  entries(): string[];
}

/**
 * One key list of the engine kept in a JSON file of the module's state directory, written through
 * `writeStateFile` (atomic: a crash leaves the old file or the new one), so that a restart does not
 * repeat first-time alerts nor bring back ignored ones. The entries are read from the file once and
 * then carried from one engine to the next when the configuration changes.
 */
export class RememberedKeys {
  readonly path: string;
  readonly #name: string;
  readonly #lost: string;
  readonly #context: Pick<AgentModuleContext, 'writeStateFile' | 'log'>;
  #entries: string[] | undefined;
  /** The engine's `changes` when last saved. */
  #saved = 0;

  /** `lost` says what a damaged file costs ("first-time-seen rules start afresh"). */
  constructor(context: Pick<AgentModuleContext, 'dataDir' | 'writeStateFile' | 'log'>, name: string, lost: string) {
    this.path = join(context.dataDir, name);
    this.#name = name;
    this.#lost = lost;
    this.#context = context;
  }

  /** The entries for a new engine; a missing file is a first start, a damaged one a problem to report. */
  forNewEngine(): { entries: string[]; problem?: string } {
    this.#saved = 0;
    if (this.#entries !== undefined) return { entries: this.#entries };
    const loaded = this.#load();
    this.#entries = loaded.entries;
    return loaded;
  }

  /** Saves the list when the engine added to it since the last save; an I/O error is logged and tried again later. */
  save(keys: KeyList | undefined): void {
    if (!keys || keys.changes === this.#saved) return;
    this.#entries = keys.entries();
    try {
      const file: RememberedKeysFile = { version: 1, entries: this.#entries };
      this.#context.writeStateFile(this.#name, JSON.stringify(file));
      this.#saved = keys.changes;
    } catch (error) {
      this.#context.log.warn(`loginspect: cannot save ${this.path}: ${(error as Error).message}`);
    }
  }

  #load(): { entries: string[]; problem?: string } {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
      return { entries: [], problem: `cannot read ${this.path} (${(error as Error).message}); ${this.#lost}` };
    }
    const parsed = parseWith(RememberedKeysFile, json);
    if (!parsed.ok) return { entries: [], problem: `${this.path}: ${describeIssues(parsed.issues)}; ${this.#lost}` };
    return { entries: parsed.value.entries };
  }
}
