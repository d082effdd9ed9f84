import type { ServiceContext } from './context.js';
import { newId } from './ids.js';
import { fail, ok, type Result } from './result.js';
import type { Principal, Role } from './roles.js';
import { equalHashes, randomSecret, sha256 } from './secrets.js';
import { iso } from './time.js';
import type { UsersService } from './users.js';

export interface NewSession {
  /** Goes in the session cookie; stored only as its sha256. */
  readonly sessionToken: string;
  /** Returned to the console once; required as X-CSRF-Token on every non-GET request. */
  readonly csrfToken: string;
  readonly expiresAt: string;
  readonly principal: Principal;
}

export interface SessionAuthentication {
  readonly principal: Principal;
  readonly sessionId: string;
  /** True only when a CSRF token was given and is this session's. */
  readonly csrfValid: boolean;
}

export function sessionsService(ctx: ServiceContext, users: UsersService) {
  async function create(userId: string): Promise<Result<NewSession>> {
    const user = await ctx.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    if (!user) return fail('not-found', `user ${userId} not found`);
    const sessionToken = randomSecret(32);
    const csrfToken = randomSecret(32);
    const now = ctx.now();
    const expiresAt = now + ctx.sessionTtlMs;
    // Expired sessions are swept as new ones are made, so the table does not grow without bound.
    await ctx.db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
    await ctx.db
      .insertInto('sessions')
      .values({
        id: newId(),
        user_id: user.id,
        token_hash: sha256(sessionToken),
        csrf_hash: sha256(csrfToken),
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    return ok({
      sessionToken,
      csrfToken,
      expiresAt: iso(expiresAt),
      principal: { id: user.id, name: user.username, role: user.role as Role, kind: 'user' },
    });
  }

  async function login(username: string, password: string): Promise<Result<NewSession>> {
    const verified = await users.verifyPassword(username, password);
    if (!verified.ok) return verified;
    return create(verified.value.id);
  }

  async function authenticate(sessionToken: string, csrfToken?: string): Promise<Result<SessionAuthentication>> {
    const denied = fail<SessionAuthentication>('unauthenticated', 'session is not valid; log in again');
    if (typeof sessionToken !== 'string' || sessionToken.length < 16 || sessionToken.length > 256) return denied;
    const row = await ctx.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .select([
        'sessions.id',
        'sessions.csrf_hash',
        'sessions.expires_at',
        'users.id as user_id',
        'users.username',
        'users.role',
      ])
      .where('sessions.token_hash', '=', sha256(sessionToken))
      .executeTakeFirst();
    if (!row) return denied;
    if (row.expires_at <= ctx.now()) {
      await ctx.db.deleteFrom('sessions').where('id', '=', row.id).execute();
      return fail('unauthenticated', 'session expired; log in again');
    }
    const csrfValid =
      typeof csrfToken === 'string' && csrfToken.length > 0 && equalHashes(sha256(csrfToken), row.csrf_hash);
    return ok({
      principal: { id: row.user_id, name: row.username, role: row.role as Role, kind: 'user' },
      sessionId: row.id,
      csrfValid,
    });
  }

  async function remove(sessionToken: string): Promise<Result<void>> {
    if (typeof sessionToken !== 'string') return fail('not-found', 'no such session');
    const result = await ctx.db
      .deleteFrom('sessions')
      .where('token_hash', '=', sha256(sessionToken))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0 ? ok(undefined) : fail('not-found', 'no such session');
  }

  return { create, login, authenticate, delete: remove };
}

export type SessionsService = ReturnType<typeof sessionsService>;
