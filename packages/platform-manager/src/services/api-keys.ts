import type { ApiKeyRow } from '../storage/schema.js';
import { recordAudit } from './audit.js';
import { inTransaction, type ServiceContext } from './context.js';
import { newId } from './ids.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import type { Page, PageRequest } from './pagination.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import { type Actor, isRole, type Principal, type Role } from './roles.js';
import { newCredential, parseCredential, secretMatches } from './secrets.js';
import { iso } from './time.js';

/** The list's order: newest first. */
const NEWEST_FIRST = keyset('desc', ['created_at', 'number'], ['id', 'string']);

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

/** Writing last-used on every request would turn reads into writes; once a minute is enough. */
const LAST_USED_RESOLUTION_MS = 60_000;

export function presentApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    role: row.role as Role,
    createdAt: iso(row.created_at),
    lastUsedAt: iso(row.last_used_at),
    revokedAt: iso(row.revoked_at),
  };
}

export function apiKeysService(ctx: ServiceContext) {
  async function create(
    input: { name: string; role: Role },
    actor: Actor,
  ): Promise<Result<{ apiKey: ApiKey; key: string }>> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length < 1 || name.length > 128) return fail('validation', 'API key name must be 1 to 128 characters');
    if (!isRole(input.role)) return fail('validation', 'role must be administrator, operator or auditor');
    const id = newId();
    const credential = newCredential('bwk', id);
    const now = ctx.now();
    const row: ApiKeyRow = {
      id,
      name,
      role: input.role,
      secret_hash: credential.hash,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    };
    await inTransaction(ctx.db, async (trx) => {
      await trx.insertInto('api_keys').values(row).execute();
      await recordAudit(trx, now, actor, 'api-key.create', { kind: 'api-key', id }, null, presentApiKey(row));
    });
    return ok({ apiKey: presentApiKey(row), key: credential.text });
  }

  async function authenticate(key: string): Promise<Result<Principal>> {
    const denied = fail<Principal>('unauthenticated', 'API key is not valid');
    const credential = parseCredential('bwk', key);
    if (!credential) return denied;
    const { id, secret } = credential;
    const row = await ctx.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !secretMatches(secret, row.secret_hash)) return denied;
    if (row.revoked_at !== null) return fail('unauthenticated', 'API key was revoked');
    const now = ctx.now();
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
      await ctx.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
    }
    return ok({ id: row.id, name: row.name, role: row.role as Role, kind: 'api-key' });
  }

  async function list(request: PageRequest = {}): Promise<Result<Page<ApiKey>>> {
    const paged = keysetQuery(ctx.db.selectFrom('api_keys').selectAll(), NEWEST_FIRST, request);
    if (!paged.ok) return paged;
    return ok(keysetToPage(await paged.value.query.execute(), paged.value.limit, NEWEST_FIRST, presentApiKey));
  }

  async function revoke(id: string, actor: Actor): Promise<Result<ApiKey>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await trx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return abort('not-found', `API key ${id} not found`);
        if (row.revoked_at !== null) return presentApiKey(row);
        const now = ctx.now();
        await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).execute();
        const next = { ...row, revoked_at: now };
        await recordAudit(
          trx,
          now,
          actor,
          'api-key.revoke',
          { kind: 'api-key', id },
          presentApiKey(row),
          presentApiKey(next),
        );
        return presentApiKey(next);
      }),
    );
  }

  return { create, authenticate, list, revoke };
}

export type ApiKeysService = ReturnType<typeof apiKeysService>;
