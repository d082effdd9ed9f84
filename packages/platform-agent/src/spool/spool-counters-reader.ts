import Database from 'better-sqlite3';

/** Reads the counters of a spool another process (the daemon) owns, for `bulwark-agent status`. */
export function readSpoolCounters(path: string): { pendingEvents: number; droppedEvents: number } | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const pending = (db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
    const dropped = db.prepare("SELECT value FROM counters WHERE name = 'droppedTotal'").get() as
      | { value: number }
      | undefined;
    return { pendingEvents: pending, droppedEvents: dropped?.value ?? 0 };
  } catch {
    return null;
  } finally {
    db?.close();
  }
}
