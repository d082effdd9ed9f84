import { recordAudit } from './audit.js';
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
      principal: {
        id: user.id,
        name: user.username,
        role: user.role as Role,
        kind: 'user',
        ...(user.must_change_password === 1 ? { mustChangePassword: true } : {}),
      },
    });
  }

  /**
   * Signs a user in and audits the outcome, success or failure (`session.login`,
   * `session.login-failed`, with the client's address). A failure names the account only when
   * it exists: an unknown "user name" is often a password typed in the wrong field.
   */
  async function login(
    username: string,
    password: string,
    client: { readonly address: string } = { address: 'unknown' },
  ): Promise<Result<NewSession>> {
    const verified = await users.verifyPassword(username, password);
    if (!verified.ok) {
      const known = await ctx.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
      await recordAudit(
        ctx.db,
        ctx.now(),
        { kind: 'system', id: null, name: 'sign-in' },
        'session.login-failed',
        { kind: 'user', id: known?.id ?? null },
        undefined,
        known ? { username, address: client.address } : { username: null, unknownUser: true, address: client.address },
      );
      return verified;
    }
    const session = await create(verified.value.id);
    if (session.ok) {
      const { id, name } = verified.value;
      await recordAudit(
        ctx.db,
        ctx.now(),
        { kind: 'user', id, name },
        'session.login',
        { kind: 'user', id },
        undefined,
        { username: name, address: client.address },
      );
    }
    return session;
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
        'users.must_change_password',
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
      principal: {
        id: row.user_id,
        name: row.username,
        role: row.role as Role,
        kind: 'user',
        ...(row.must_change_password === 1 ? { mustChangePassword: true } : {}),
      },
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
