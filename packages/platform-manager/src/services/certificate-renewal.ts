import { recordAudit } from './audit.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { abort, guarded, type Result } from './result.js';

/**
 * Agent certificate renewal, in two steps so that neither side can lock the agent out: the
 * manager signs a new certificate and keeps its serial as pending; the current certificate stays
 * valid until the agent first connects with the pending one, which then becomes current and the
 * old one is revoked. A renewal whose answer was lost is replaced by the next (its serial revoked).
 */
export function certificateRenewalService(ctx: ServiceContext) {
  /** Records the serial just signed for `computerId` as its pending certificate. */
  async function recordPending(computerId: string, serial: string): Promise<Result<void>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await trx
          .selectFrom('computers')
          .select(['pending_certificate_serial', 'deactivated_at'])
          .where('id', '=', computerId)
          .executeTakeFirst();
        if (!row || row.deactivated_at !== null) return abort('not-found', `computer ${computerId} is not active`);
        if (row.pending_certificate_serial !== null && row.pending_certificate_serial !== serial)
          await revoke(trx, row.pending_certificate_serial, computerId, ctx.now());
        await trx
          .updateTable('computers')
          .set({ pending_certificate_serial: serial })
          .where('id', '=', computerId)
          .execute();
      }),
    );
  }

  /**
   * The first call with the pending certificate makes it current and revokes the one it replaces.
   * True when `serial` was the pending one (and is now current); false for any other serial.
   */
  async function promoteIfPending(computerId: string, serial: string): Promise<boolean> {
    return inTransaction(ctx.db, async (trx) => {
      const row = await trx
        .selectFrom('computers')
        .select(['certificate_serial', 'pending_certificate_serial'])
        .where('id', '=', computerId)
        .where('deactivated_at', 'is', null)
        .executeTakeFirst();
      if (!row || row.pending_certificate_serial === null || row.pending_certificate_serial !== serial) return false;
      const now = ctx.now();
      if (row.certificate_serial !== null) await revoke(trx, row.certificate_serial, computerId, now);
      const taken = await trx
        .updateTable('computers')
        .set({ certificate_serial: serial, pending_certificate_serial: null })
        .where('id', '=', computerId)
        .where('pending_certificate_serial', '=', serial)
        .executeTakeFirst();
      // Two first calls at once: the one that lost the race finds the serial current already.
      if (Number(taken.numUpdatedRows) !== 1) return true;
      await recordAudit(
        trx,
        now,
        { kind: 'system', id: null, name: `agent of computer ${computerId}` },
        'computer.certificate-renew',
        { kind: 'computer', id: computerId },
        { certificateSerial: row.certificate_serial },
        { certificateSerial: serial },
      );
      return true;
    });
  }

  return { recordPending, promoteIfPending };
}

async function revoke(db: Executor, serial: string, computerId: string, now: number): Promise<void> {
  await db
    .insertInto('revoked_certificates')
    .values({ serial, computer_id: computerId, revoked_at: now })
    .onConflict((oc) => oc.column('serial').doNothing())
    .execute();
}

export type CertificateRenewalService = ReturnType<typeof certificateRenewalService>;
