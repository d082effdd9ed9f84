import { type Inventory, inventoryDigest } from '@bulwark/protocol';
import { inTransaction, type ServiceContext } from './context.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import { iso, parseTime } from './time.js';

export interface StoredInventory {
  readonly inventory: Inventory;
  readonly digest: string;
  readonly collectedAt: string;
  readonly receivedAt: string;
}

export function inventoryService(ctx: ServiceContext) {
  /** Keeps the latest inventory of a computer; its digest tells later heartbeats whether to resend. */
  async function store(computerId: string, inventory: Inventory): Promise<Result<{ digest: string }>> {
    const digest = inventoryDigest(inventory);
    const now = ctx.now();
    const collectedAt = parseTime(inventory.collectedAt) ?? now;
    const json = JSON.stringify(inventory);
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const computer = await trx
          .selectFrom('computers')
          .select(['id', 'deactivated_at'])
          .where('id', '=', computerId)
          .executeTakeFirst();
        if (!computer) abort('not-found', `computer ${computerId} not found`);
        if (computer?.deactivated_at !== null) abort('forbidden', `computer ${computerId} is deactivated`);
        await trx
          .insertInto('computer_inventory')
          .values({
            computer_id: computerId,
            digest,
            inventory_json: json,
            collected_at: collectedAt,
            received_at: now,
          })
          .onConflict((oc) =>
            oc
              .column('computer_id')
              .doUpdateSet({ digest, inventory_json: json, collected_at: collectedAt, received_at: now }),
          )
          .execute();
        await trx.updateTable('computers').set({ inventory_digest: digest }).where('id', '=', computerId).execute();
        return { digest };
      }),
    );
  }

  async function get(computerId: string): Promise<Result<StoredInventory>> {
    const row = await ctx.db
      .selectFrom('computer_inventory')
      .selectAll()
      .where('computer_id', '=', computerId)
      .executeTakeFirst();
    if (!row) {
      const computer = await ctx.db
        .selectFrom('computers')
        .select('id')
        .where('id', '=', computerId)
        .executeTakeFirst();
      return fail(
        'not-found',
        computer ? `computer ${computerId} has not reported an inventory yet` : `computer ${computerId} not found`,
      );
    }
    return ok({
      inventory: JSON.parse(row.inventory_json) as Inventory,
      digest: row.digest,
      collectedAt: iso(row.collected_at),
      receivedAt: iso(row.received_at),
    });
  }

  return { store, get };
}

export type InventoryService = ReturnType<typeof inventoryService>;
