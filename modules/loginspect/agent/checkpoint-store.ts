import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type AgentModuleContext,
  describeIssues,
  parseWith,
  type SourceCheckpoint,
  type SourceSpool,
} from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';
import { FileCheckpoint } from './file-identity.js';
import { checkpointsOf, entriesOf } from './source-positions.js';

/** Everything the agent must remember to continue reading where it stopped. */
export const SourceCheckpoints = Type.Object(
  {
    version: Type.Literal(1),
    /** Per configured file source (its path or glob): one entry per file followed. */
    files: Type.Record(Type.String(), Type.Array(FileCheckpoint, { maxItems: 10_000 })),
    /** The journal cursor of the last entry handed to the spool. */
    journalCursor: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type SourceCheckpoints = Static<typeof SourceCheckpoints>;

export const EMPTY_CHECKPOINTS: SourceCheckpoints = { version: 1, files: {} };

export const CHECKPOINT_FILE = 'source-checkpoints.json';

/**
 * Checkpoints in one JSON file of the module's state directory, written through the context's
 * `writeStateFile` so that a crash leaves the old or the new one. The write (two fsyncs) is
 * skipped when nothing changed, as after a poll that read nothing.
 */
export class CheckpointStore {
  readonly path: string;
  readonly #context: Pick<AgentModuleContext, 'writeStateFile'>;
  #last = '';

  constructor(context: Pick<AgentModuleContext, 'dataDir' | 'writeStateFile'>) {
    this.path = join(context.dataDir, CHECKPOINT_FILE);
    this.#context = context;
  }

  /** The saved checkpoints; a missing file is a first start, a damaged one is reported. */
  load(): { checkpoints: SourceCheckpoints; problem?: string } {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { checkpoints: EMPTY_CHECKPOINTS };
      return { checkpoints: EMPTY_CHECKPOINTS, problem: `cannot read ${this.path}: ${(error as Error).message}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return {
        checkpoints: EMPTY_CHECKPOINTS,
        problem: `${this.path} is not JSON (${(error as Error).message}); reading starts afresh`,
      };
    }
    const parsed = parseWith(SourceCheckpoints, json);
    if (!parsed.ok)
      return {
        checkpoints: EMPTY_CHECKPOINTS,
        problem: `${this.path}: ${describeIssues(parsed.issues)}; reading starts afresh`,
      };
    this.#last = text;
    return { checkpoints: parsed.value };
  }

  /** Writes the checkpoints if they changed; throws on an I/O error (the caller reports it). */
  save(checkpoints: SourceCheckpoints): void {
    const text = JSON.stringify(checkpoints);
    if (text === this.#last) return;
    this.#context.writeStateFile(CHECKPOINT_FILE, text);
    this.#last = text;
  }
}

/**
 * Positions kept in the checkpoint file, for a module context without the spool's checkpoints
 * (unit tests, and older agents' files, read once). Events go to `emit` as they come; the file is
 * rewritten with every position handed over (an event's included: slow, and only for tests).
 */
export function fileBackedSourceSpool(
  context: Pick<AgentModuleContext, 'emit' | 'log'>,
  store: CheckpointStore,
): SourceSpool {
  const loaded = store.load();
  if (loaded.problem) context.log.warn(`loginspect: ${loaded.problem}`);
  const entries = entriesOf(loaded.checkpoints);
  const apply = (checkpoints: readonly SourceCheckpoint[]) => {
    for (const c of checkpoints) {
      if (c.value === null) entries.delete(c.key);
      else entries.set(c.key, c.value);
    }
    try {
      store.save(checkpointsOf(entries).checkpoints);
    } catch (error) {
      context.log.warn(`loginspect: cannot save reading positions to ${store.path}: ${(error as Error).message}`);
    }
  };
  return {
    checkpoints: () => new Map(entries),
    emit: (event, checkpoints) => {
      context.emit(event);
      apply(checkpoints);
      return { kind: 'spooled', seq: 0 };
    },
    advance: apply,
  };
}
