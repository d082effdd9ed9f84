import { formatActivationToken, parseActivationToken } from '@bulwark/protocol';
import type { ActivationTokenRow } from '../storage/schema.js';
import { recordAudit } from './audit.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { newId } from './ids.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import type { Page, PageRequest } from './pagination.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import type { Actor } from './roles.js';
import { newCredential, parseCredential, secretMatches } from './secrets.js';
import { iso, parseTime } from './time.js';

/** The list's order: newest first. */
const NEWEST_FIRST = keyset('desc', ['created_at', 'number'], ['id', 'string']);

/** How long an activation token lasts when its creator names no expiry. */
export const DEFAULT_TOKEN_LIFETIME_MS = 24 * 3_600_000;

export type ActivationTokenState = 'active' | 'expired' | 'used-up' | 'revoked';

export interface ActivationToken {
  readonly id: string;
  readonly name: string;
  readonly expiresAt: string | null;
  readonly maxUses: number | null;
  readonly uses: number;
  readonly policyId: string | null;
  readonly revokedAt: string | null;
  readonly createdAt: string;
  readonly state: ActivationTokenState;
}

export function tokenState(row: ActivationTokenRow, now: number): ActivationTokenState {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at !== null && row.expires_at <= now) return 'expired';
  if (row.max_uses !== null && row.uses >= row.max_uses) return 'used-up';
  return 'active';
}

export function presentToken(row: ActivationTokenRow, now: number): ActivationToken {
  return {
    id: row.id,
    name: row.name,
    expiresAt: iso(row.expires_at),
    maxUses: row.max_uses,
    uses: row.uses,
    policyId: row.policy_id,
    revokedAt: iso(row.revoked_at),
    createdAt: iso(row.created_at),
    state: tokenState(row, now),
  };
}

/**
 * Takes one use of an activation token, atomically: the conditional update succeeds for one
 * caller only when the token is still usable, so two agents cannot both take the last use.
 * Returns the token row, or aborts with a message that says why the token cannot be used.
 */
export async function consumeActivationToken(db: Executor, token: string, now: number): Promise<ActivationTokenRow> {
  // The CA fingerprint a token carries is for the agent; the manager checks the credential.
  const credential = parseCredential('bwt', parseActivationToken(token).credential);
  if (!credential) return abort('unauthenticated', 'activation token is not valid');
  const { id, secret } = credential;
  const row = await db.selectFrom('activation_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || !secretMatches(secret, row.token_hash)) return abort('unauthenticated', 'activation token is not valid');
  const taken = await db
    .updateTable('activation_tokens')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) === 1) return { ...row, uses: row.uses + 1 };
  const current = await db.selectFrom('activation_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  switch (tokenState(current, now)) {
    case 'revoked':
      return abort('unauthenticated', `activation token ${current.name} was revoked; ask for a new one`);
    case 'expired':
      return abort(
        'unauthenticated',
        `activation token ${current.name} expired at ${iso(current.expires_at)}; ask for a new one`,
      );
    default:
      return abort(
        'unauthenticated',
        `activation token ${current.name} has been used ${current.uses} times, its limit; ask for a new one`,
      );
  }
}

export function activationTokensService(ctx: ServiceContext) {
  async function create(
    input: { name?: string; expiresAt?: string | null; maxUses?: number | null; policyId?: string | null },
    actor: Actor,
  ): Promise<Result<{ activationToken: ActivationToken; token: string; caFingerprint: string | null }>> {
    const now = ctx.now();
    const name = (input.name ?? '').trim() || `token ${new Date(now).toISOString()}`;
    if (name.length > 128) return fail('validation', 'token name must be at most 128 characters');
    // Left out: the token expires in a day. A token that never expires must be asked for (null).
    let expiresAt: number | null = input.expiresAt === undefined ? now + DEFAULT_TOKEN_LIFETIME_MS : null;
    if (input.expiresAt !== undefined && input.expiresAt !== null) {
      const parsed = parseTime(input.expiresAt);
      if (parsed === undefined) return fail('validation', 'expiresAt must be an ISO 8601 time');
      if (parsed <= now) return fail('validation', 'expiresAt must be in the future');
      expiresAt = parsed;
    }
    const maxUses = input.maxUses ?? null;
    if (maxUses !== null && (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > 1_000_000)) {
      return fail('validation', 'maxUses must be an integer from 1 to 1000000');
    }
    const policyId = input.policyId ?? null;
    const id = newId();
    const credential = newCredential('bwt', id);
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        if (policyId !== null) {
          const policy = await trx.selectFrom('policies').select('id').where('id', '=', policyId).executeTakeFirst();
          if (!policy) abort('not-found', `policy ${policyId} not found`);
        }
        const row: ActivationTokenRow = {
          id,
          name,
          token_hash: credential.hash,
          expires_at: expiresAt,
          max_uses: maxUses,
          uses: 0,
          policy_id: policyId,
          revoked_at: null,
          created_at: now,
        };
        await trx.insertInto('activation_tokens').values(row).execute();
        const activationToken = presentToken(row, now);
        await recordAudit(
          trx,
          now,
          actor,
          'activation-token.create',
          { kind: 'activation-token', id },
          null,
          activationToken,
        );
        // Only the secret's hash is stored; the text handed out also names the CA to pin.
        const caFingerprint = ctx.caFingerprint ?? null;
        const token = caFingerprint === null ? credential.text : formatActivationToken(credential.text, caFingerprint);
        return { activationToken, token, caFingerprint };
      }),
    );
  }

  async function list(request: PageRequest = {}): Promise<Result<Page<ActivationToken>>> {
    const paged = keysetQuery(ctx.db.selectFrom('activation_tokens').selectAll(), NEWEST_FIRST, request);
    if (!paged.ok) return paged;
    const rows = await paged.value.query.execute();
    const now = ctx.now();
    return ok(keysetToPage(rows, paged.value.limit, NEWEST_FIRST, (r) => presentToken(r, now)));
  }

  async function revoke(id: string, actor: Actor): Promise<Result<ActivationToken>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await trx.selectFrom('activation_tokens').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return abort('not-found', `activation token ${id} not found`);
        const now = ctx.now();
        if (row.revoked_at !== null) return presentToken(row, now);
        await trx.updateTable('activation_tokens').set({ revoked_at: now }).where('id', '=', id).execute();
        const next = { ...row, revoked_at: now };
        await recordAudit(
          trx,
          now,
          actor,
          'activation-token.revoke',
          { kind: 'activation-token', id },
          presentToken(row, now),
          presentToken(next, now),
        );
        return presentToken(next, now);
      }),
    );
  }

  return { create, list, revoke };
}

export type ActivationTokensService = ReturnType<typeof activationTokensService>;
