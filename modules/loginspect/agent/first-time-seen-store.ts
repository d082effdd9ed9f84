import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentModuleContext, describeIssues, parseWith } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';

/** The engine's first-time-seen entries (`<if_fts/>`), kept so that a restart does not repeat them. */
const FirstTimeSeenFile = Type.Object(
  { version: Type.Literal(1), entries: Type.Array(Type.String({ maxLength: 65_536 }), { maxItems: 100_000 }) },
  { additionalProperties: false },
);
type FirstTimeSeenFile = Static<typeof FirstTimeSeenFile>;

const FILE_NAME = 'first-time-seen.json';

/** One JSON file of the module's state directory, written through `writeStateFile`. */
export class FirstTimeSeenStore {
  readonly path: string;
  readonly #context: Pick<AgentModuleContext, 'writeStateFile'>;

  constructor(context: Pick<AgentModuleContext, 'dataDir' | 'writeStateFile'>) {
    this.path = join(context.dataDir, FILE_NAME);
    this.#context = context;
  }

  /** The saved entries; a missing file is a first start, a damaged one is reported. */
  load(): { entries: string[]; problem?: string } {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [] };
      return {
        entries: [],
        problem: `cannot read ${this.path} (${(error as Error).message}); first-time-seen rules start afresh`,
      };
    }
    const parsed = parseWith(FirstTimeSeenFile, json);
    if (!parsed.ok)
      return {
        entries: [],
        problem: `${this.path}: ${describeIssues(parsed.issues)}; first-time-seen rules start afresh`,
      };
    return { entries: parsed.value.entries };
  }

  /** Throws on an I/O error (the caller reports it). */
  save(entries: readonly string[]): void {
    const file: FirstTimeSeenFile = { version: 1, entries: [...entries] };
    this.#context.writeStateFile(FILE_NAME, JSON.stringify(file));
  }
}
