import type { EmitOutcome, NewEvent, SourceCheckpoint, SourceSpool } from '@bulwark/protocol';
import { describeIssues, parseWith } from '@bulwark/protocol';
import { Type } from '@sinclair/typebox';
import type { SourceCheckpoints } from './checkpoint-store.js';
import { FileCheckpoint } from './file-identity.js';

/**
 * The reading positions as spool checkpoints: one key per file followed (`file:<dev>:<ino>`, its
 * checkpoint and the configured entry that follows it) and `journal` for the journal cursor. One
 * key per file lets an event carry the position of the file it came from alone, however many
 * files are followed.
 */
export const JOURNAL_KEY = 'journal';

const StoredFile = Type.Composite([FileCheckpoint, Type.Object({ source: Type.String({ maxLength: 4096 }) })], {
  additionalProperties: false,
});

export function fileEntry(source: string, c: FileCheckpoint): SourceCheckpoint {
  return { key: `file:${c.dev}:${c.ino}`, value: JSON.stringify({ ...c, source }) };
}

/** Every position of a snapshot as spool entries. */
export function entriesOf(checkpoints: SourceCheckpoints): Map<string, string> {
  const out = new Map<string, string>();
  for (const [source, list] of Object.entries(checkpoints.files))
    for (const c of list) {
      const entry = fileEntry(source, c);
      out.set(entry.key, entry.value as string);
    }
  if (checkpoints.journalCursor !== undefined) out.set(JOURNAL_KEY, checkpoints.journalCursor);
  return out;
}

/** The snapshot the entries describe; an entry that cannot be read is left out and reported. */
export function checkpointsOf(entries: ReadonlyMap<string, string>): {
  checkpoints: SourceCheckpoints;
  problem?: string;
} {
  const files: Record<string, FileCheckpoint[]> = {};
  const problems: string[] = [];
  let journalCursor: string | undefined;
  for (const [key, value] of entries) {
    if (key === JOURNAL_KEY) {
      journalCursor = value;
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(value);
    } catch {
      json = undefined;
    }
    const parsed = parseWith(StoredFile, json);
    if (!parsed.ok) {
      problems.push(`${key}: ${describeIssues(parsed.issues)}`);
      continue;
    }
    const { source, ...checkpoint } = parsed.value;
    const list = files[source] ?? [];
    list.push(checkpoint);
    files[source] = list;
  }
  const checkpoints: SourceCheckpoints =
    journalCursor === undefined ? { version: 1, files } : { version: 1, files, journalCursor };
  return problems.length === 0
    ? { checkpoints }
    : {
        checkpoints,
        problem: `saved reading positions not usable (those files are read as new): ${problems.join('; ').slice(0, 600)}`,
      };
}

/**
 * The module's side of the spool's checkpoints: an event goes with the position just after its
 * record, and after each poll the positions that moved (records that raised no event) and those
 * of files let go are handed over, changed keys only.
 */
export class SourcePositions {
  readonly #spool: SourceSpool;
  /** What the spool holds for this module (committed or queued), as handed over. */
  readonly #handed: Map<string, string>;

  constructor(spool: SourceSpool) {
    this.#spool = spool;
    this.#handed = new Map(spool.checkpoints());
  }

  get empty(): boolean {
    return this.#handed.size === 0;
  }

  load(): { checkpoints: SourceCheckpoints; problem?: string } {
    return checkpointsOf(this.#handed);
  }

  /** Spools the event with the position after its record; on `full` nothing is kept. */
  emit(event: NewEvent, position: SourceCheckpoint): EmitOutcome {
    const outcome = this.#spool.emit(event, [position]);
    if (outcome.kind !== 'full') this.#set(position);
    return outcome;
  }

  /** Hands over where every source stands now. */
  advance(snapshot: SourceCheckpoints): void {
    const now = entriesOf(snapshot);
    const updates: SourceCheckpoint[] = [];
    for (const [key, value] of now) if (this.#handed.get(key) !== value) updates.push({ key, value });
    for (const key of this.#handed.keys()) if (!now.has(key)) updates.push({ key, value: null });
    if (updates.length === 0) return;
    for (const u of updates) this.#set(u);
    this.#spool.advance(updates);
  }

  #set(c: SourceCheckpoint): void {
    if (c.value === null) this.#handed.delete(c.key);
    else this.#handed.set(c.key, c.value);
  }
}
