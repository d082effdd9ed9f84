import { createHash } from 'node:crypto';
import {
  MAX_UPDATE_PACKAGE_BYTES,
  UPDATE_CHUNK_BYTES,
  type UpdateChunk,
  type UpdatePackageRef,
  type UpdatePackageRefs,
  type UpdateReport,
  updatePackageStatement,
} from '@bulwark/protocol';
import type { ManagerUpdateSigner } from '../pki/update-signer.js';
import { recordAudit } from './audit.js';
import type { ConfigurationService } from './configuration.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import type { Actor } from './roles.js';
import { iso } from './time.js';

/** One imported version of a kind, as the API shows it (never its content). */
export interface UpdatePackageVersion {
  readonly kind: string;
  readonly version: number;
  readonly sha256: string;
  readonly size: number;
  readonly note: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly withdrawnAt: string | null;
  readonly withdrawnBy: string | null;
}

export interface UpdateKindSummary {
  readonly kind: string;
  readonly module: string;
  readonly description: string;
  /** The version agents are told to run; null before the first import (or all withdrawn). */
  readonly current: number | null;
  readonly versions: readonly UpdatePackageVersion[];
  /** Active computers that report the current version, and those that do not (yet). */
  readonly computersCurrent: number;
  readonly computersBehind: number;
}

export interface ComputerUpdateState {
  readonly computerId: string;
  readonly computerName: string;
  readonly version: number | null;
  readonly previous: number | null;
  readonly state: string;
  readonly reason: string | null;
  readonly reportedAt: string | null;
  /** The computer does not run the version the manager names. */
  readonly behind: boolean;
}

type PackageRow = {
  kind: string;
  version: number;
  sha256: string;
  size: number;
  note: string;
  created_at: number;
  created_by: string;
  withdrawn_at: number | null;
  withdrawn_by: string | null;
};

function present(row: PackageRow): UpdatePackageVersion {
  return {
    kind: row.kind,
    version: Number(row.version),
    sha256: row.sha256,
    size: Number(row.size),
    note: row.note,
    createdAt: iso(row.created_at) ?? '',
    createdBy: row.created_by,
    withdrawnAt: iso(row.withdrawn_at),
    withdrawnBy: row.withdrawn_by,
  };
}

/** The version each kind should run: its newest version not withdrawn. Read by the configuration compiler. */
export async function loadCurrentUpdates(db: Executor): Promise<UpdatePackageRefs> {
  const rows = await db
    .selectFrom('update_packages')
    .select(['kind', 'version', 'sha256', 'size'])
    .where('withdrawn_at', 'is', null)
    .orderBy('kind')
    .orderBy('version', 'desc')
    .execute();
  const out: Record<string, UpdatePackageRef> = {};
  for (const row of rows) {
    if (out[row.kind] !== undefined) continue;
    out[row.kind] = { version: Number(row.version), sha256: row.sha256, size: Number(row.size) };
  }
  return out;
}

export function updatePackagesService(
  ctx: ServiceContext,
  configuration: ConfigurationService,
  signer: ManagerUpdateSigner | undefined,
) {
  const declared = new Map(
    ctx.modules.flatMap((m) => (m.updateKinds ?? []).map((d) => [d.kind, { module: m.id, declaration: d }] as const)),
  );

  function known(kind: string): void {
    if (!declared.has(kind))
      abort(
        'not-found',
        `no module consumes update packages of kind "${kind}"; kinds: ${[...declared.keys()].join(', ') || 'none'}`,
      );
  }

  async function list(): Promise<Result<UpdateKindSummary[]>> {
    const rows = await ctx.db
      .selectFrom('update_packages')
      .select(['kind', 'version', 'sha256', 'size', 'note', 'created_at', 'created_by', 'withdrawn_at', 'withdrawn_by'])
      .orderBy('kind')
      .orderBy('version', 'desc')
      .execute();
    const current = await loadCurrentUpdates(ctx.db);
    const reports = await ctx.db
      .selectFrom('computer_updates')
      .innerJoin('computers', 'computers.id', 'computer_updates.computer_id')
      .select(['computer_updates.kind', 'computer_updates.version'])
      .where('computers.deactivated_at', 'is', null)
      .execute();
    const active = await ctx.db
      .selectFrom('computers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('deactivated_at', 'is', null)
      .executeTakeFirst();
    const summaries: UpdateKindSummary[] = [];
    for (const [kind, { module, declaration }] of declared) {
      const want = current[kind]?.version ?? null;
      const onCurrent = want === null ? 0 : reports.filter((r) => r.kind === kind && Number(r.version) === want).length;
      summaries.push({
        kind,
        module,
        description: declaration.description,
        current: want,
        versions: rows.filter((r) => r.kind === kind).map(present),
        computersCurrent: onCurrent,
        computersBehind: want === null ? 0 : Number(active?.n ?? 0) - onCurrent,
      });
    }
    return ok(summaries);
  }

  async function importPackage(
    kind: string,
    content: Uint8Array,
    note: string,
    actor: Actor,
  ): Promise<Result<{ package: UpdatePackageVersion; changed: string[] }>> {
    if (signer === undefined) return fail('conflict', 'this manager has no update-signing key');
    if (content.length > MAX_UPDATE_PACKAGE_BYTES)
      return fail(
        'validation',
        `the package is ${content.length} bytes; at most ${MAX_UPDATE_PACKAGE_BYTES} are accepted`,
      );
    return guarded(async () => {
      known(kind);
      const problems = declared.get(kind)!.declaration.check?.(content) ?? [];
      if (problems.length > 0)
        abort(
          'validation',
          `the ${kind} content was refused: ${problems.length} problem(s); nothing was stored`,
          problems.slice(0, 50).map((message) => ({ path: '/content', message })),
        );
      const sha256 = createHash('sha256').update(content).digest('hex');
      return inTransaction(ctx.db, async (trx) => {
        const last = await trx
          .selectFrom('update_packages')
          .select((eb) => eb.fn.max('version').as('v'))
          .where('kind', '=', kind)
          .executeTakeFirst();
        const version = Number(last?.v ?? 0) + 1;
        const now = ctx.now();
        const row: PackageRow & { signature: string; signer_public_key: string } = {
          kind,
          version,
          sha256,
          size: content.length,
          signature: signer.sign(updatePackageStatement(kind, version, sha256, content.length)),
          signer_public_key: signer.signer.publicKey,
          note,
          created_at: now,
          created_by: actor.name,
          withdrawn_at: null,
          withdrawn_by: null,
        };
        await trx.insertInto('update_packages').values(row).execute();
        // An empty package is one empty chunk, so every version has a chunk 0 to download.
        const chunks = Math.max(1, Math.ceil(content.length / UPDATE_CHUNK_BYTES));
        for (let chunk = 0; chunk < chunks; chunk++) {
          const part = content.subarray(chunk * UPDATE_CHUNK_BYTES, (chunk + 1) * UPDATE_CHUNK_BYTES);
          await trx
            .insertInto('update_package_chunks')
            .values({ kind, version, chunk, data: Buffer.from(part).toString('base64') })
            .execute();
        }
        const shown = present(row);
        await recordAudit(trx, now, actor, 'update-package.import', { kind: 'update-package', id: kind }, null, shown);
        const changed = await configuration.recompute('all', trx);
        return { package: shown, changed };
      });
    });
  }

  /** Withdraws the current version of `kind`: agents go back to the newest version before it. */
  async function rollback(
    kind: string,
    actor: Actor,
  ): Promise<Result<{ withdrawn: number; current: number; changed: string[] }>> {
    return guarded(async () => {
      known(kind);
      return inTransaction(ctx.db, async (trx) => {
        const live = await trx
          .selectFrom('update_packages')
          .select(['version'])
          .where('kind', '=', kind)
          .where('withdrawn_at', 'is', null)
          .orderBy('version', 'desc')
          .limit(2)
          .execute();
        if (live.length === 0) abort('not-found', `there is no ${kind} package to roll back`);
        if (live.length === 1)
          abort(
            'conflict',
            `${kind} version ${live[0]!.version} is the only one left; there is nothing to roll back to`,
          );
        const withdrawn = Number(live[0]!.version);
        const now = ctx.now();
        await trx
          .updateTable('update_packages')
          .set({ withdrawn_at: now, withdrawn_by: actor.name })
          .where('kind', '=', kind)
          .where('version', '=', withdrawn)
          .execute();
        const current = Number(live[1]!.version);
        await recordAudit(
          trx,
          now,
          actor,
          'update-package.rollback',
          { kind: 'update-package', id: kind },
          { current: withdrawn },
          { current, withdrawn },
        );
        const changed = await configuration.recompute('all', trx);
        return { withdrawn, current, changed };
      });
    });
  }

  /** One chunk for an agent; the offset must be a chunk boundary. */
  async function chunk(kind: string, version: number, offset: number): Promise<Result<UpdateChunk>> {
    if (signer === undefined) return fail('conflict', 'this manager has no update-signing key');
    if (offset % UPDATE_CHUNK_BYTES !== 0)
      return fail('validation', `offset must be a multiple of ${UPDATE_CHUNK_BYTES}`);
    const row = await ctx.db
      .selectFrom('update_packages')
      .selectAll()
      .where('kind', '=', kind)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) return fail('not-found', `no ${kind} package version ${version}`);
    if (row.signer_public_key !== signer.signer.publicKey)
      return fail(
        'conflict',
        `${kind} version ${version} was signed by a key this manager no longer holds; import it again`,
      );
    if (offset > Number(row.size) || (offset === Number(row.size) && offset !== 0))
      return fail('validation', `offset ${offset} is past the end (${row.size} bytes)`);
    const part = await ctx.db
      .selectFrom('update_package_chunks')
      .select('data')
      .where('kind', '=', kind)
      .where('version', '=', version)
      .where('chunk', '=', offset / UPDATE_CHUNK_BYTES)
      .executeTakeFirst();
    if (!part) return fail('not-found', `${kind} version ${version} has no bytes at offset ${offset}`);
    return ok({
      kind,
      version,
      sha256: row.sha256,
      size: Number(row.size),
      signature: row.signature,
      signer: signer.signer,
      offset,
      data: part.data,
    });
  }

  /** What a heartbeat said about the agent's packages. */
  async function recordReports(computerId: string, reports: readonly UpdateReport[]): Promise<void> {
    const now = ctx.now();
    for (const report of reports) {
      const values = {
        version: report.version,
        previous: report.previous,
        state: report.state,
        reason: report.reason ?? null,
        reported_at: now,
      };
      await ctx.db
        .insertInto('computer_updates')
        .values({ computer_id: computerId, kind: report.kind, ...values })
        .onConflict((oc) => oc.columns(['computer_id', 'kind']).doUpdateSet(values))
        .execute();
    }
  }

  /** Every active computer's state for `kind`, the ones behind first. */
  async function computers(kind: string): Promise<Result<ComputerUpdateState[]>> {
    return guarded(async () => {
      known(kind);
      const want = (await loadCurrentUpdates(ctx.db))[kind]?.version ?? null;
      const rows = await ctx.db
        .selectFrom('computers')
        .leftJoin('computer_updates', (join) =>
          join.onRef('computer_updates.computer_id', '=', 'computers.id').on('computer_updates.kind', '=', kind),
        )
        .select([
          'computers.id',
          'computers.name',
          'computer_updates.version',
          'computer_updates.previous',
          'computer_updates.state',
          'computer_updates.reason',
          'computer_updates.reported_at',
        ])
        .where('computers.deactivated_at', 'is', null)
        .orderBy('computers.name')
        .execute();
      const states = rows.map((r) => {
        const version = r.version === null ? null : Number(r.version);
        return {
          computerId: r.id,
          computerName: r.name,
          version,
          previous: r.previous === null ? null : Number(r.previous),
          state: r.state ?? 'unknown',
          reason: r.reason,
          reportedAt: iso(r.reported_at),
          behind: want !== null && version !== want,
        };
      });
      return [...states.filter((s) => s.behind), ...states.filter((s) => !s.behind)];
    });
  }

  return { list, importPackage, rollback, chunk, recordReports, computers };
}

export type UpdatePackagesService = ReturnType<typeof updatePackagesService>;
