import type Database from 'better-sqlite3';

/**
 * Row counts of the multi-row INSERTs a batch is cut into, largest first. One statement per
 * count is prepared on first use and kept, so a batch of 500 costs 13 statement runs instead of
 * 500 (each run crosses from JS into SQLite, binds, steps and resets). Statements with every
 * possible count would be faster still for odd sizes but cost memory for each one ever seen.
 * 256 rows are 512 parameters, far below SQLite's limit of 32,766.
 */
const ROW_COUNTS = [256, 32, 4, 1] as const;

/** Writes runs of events with consecutive seqs into the `events` table (not as notices). */
export class BatchInsert {
  readonly #db: Database.Database;
  readonly #statements = new Map<number, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Inserts `bodies[i]` at seq `firstSeq + i`; call inside the commit's transaction. */
  run(firstSeq: number, bodies: readonly string[]): void {
    let done = 0;
    for (const rows of ROW_COUNTS) {
      if (bodies.length - done < rows) continue;
      const statement = this.#statement(rows);
      const args: (number | string)[] = new Array(rows * 2);
      while (bodies.length - done >= rows) {
        for (let i = 0; i < rows; i++) {
          args[2 * i] = firstSeq + done + i;
          args[2 * i + 1] = bodies[done + i] as string;
        }
        statement.run(args);
        done += rows;
      }
    }
  }

  #statement(rows: number): Database.Statement {
    let statement = this.#statements.get(rows);
    if (!statement) {
      statement = this.#db.prepare(`INSERT INTO events (seq, body) VALUES ${Array(rows).fill('(?, ?)').join(', ')}`);
      this.#statements.set(rows, statement);
    }
    return statement;
  }
}
