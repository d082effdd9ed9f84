import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '@bulwark/host-files';
import { parseWith } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';

/**
 * What is left of a deactivated agent in its data dir, `deactivation.json`: who deactivated it,
 * when, and whether its kernel hooks are gone, so `bulwark-agent status` can say so instead of a
 * bare "not activated". A new activation removes it.
 */
export const DeactivationRecord = Type.Object({
  by: Type.Union([Type.Literal('local'), Type.Literal('manager')]),
  at: Type.String(),
  computerId: Type.String(),
  managerUrl: Type.Union([Type.String(), Type.Null()]),
  /** Events still in the spool, which no manager will take any more. */
  discardedEvents: Type.Integer({ minimum: 0 }),
  /** Kernel hooks that could not be removed (empty: none is left). */
  hooksLeft: Type.Array(Type.Object({ module: Type.String(), reason: Type.String() })),
});
export type DeactivationRecord = Static<typeof DeactivationRecord>;

const path = (dataDir: string) => join(dataDir, 'deactivation.json');

export function writeDeactivationRecord(dataDir: string, record: DeactivationRecord): void {
  writeFileAtomic(path(dataDir), `${JSON.stringify(record, null, 2)}\n`, 0o600);
}

export function readDeactivationRecord(dataDir: string): DeactivationRecord | null {
  try {
    const parsed = parseWith(DeactivationRecord, JSON.parse(readFileSync(path(dataDir), 'utf8')));
    return parsed.ok ? parsed.value : null;
  } catch {
    return null;
  }
}

export function clearDeactivationRecord(dataDir: string): void {
  rmSync(path(dataDir), { force: true });
}
