import type { UserRow } from '../storage/schema.js';
import { recordAudit } from './audit.js';
import { type Executor, inTransaction, type ServiceContext } from './context.js';
import { newId } from './ids.js';
import { keyset, keysetQuery, keysetToPage } from './keyset-page.js';
import type { Page, PageRequest } from './pagination.js';
import { abort, fail, guarded, ok, type Result } from './result.js';
import { type Actor, isRole, type Principal, type Role, SYSTEM_ACTOR } from './roles.js';
import { hashPassword, needsRehash, randomSecret, spendVerificationTime, verifyPasswordHash } from './secrets.js';
import { iso } from './time.js';

/** The list's order (user names are unique). */
const BY_USERNAME = keyset('asc', ['username', 'string']);

export interface User {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly createdAt: string;
}

export const INITIAL_ADMIN_USERNAME = 'admin';
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;

export function presentUser(row: UserRow): User {
  return { id: row.id, username: row.username, role: row.role as Role, createdAt: iso(row.created_at) };
}

function checkPassword(password: unknown): string | null {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD) {
    return `password must be at least ${MIN_PASSWORD} characters`;
  }
  if (password.length > MAX_PASSWORD) return `password must be at most ${MAX_PASSWORD} characters`;
  return null;
}

function checkRole(role: unknown): string | null {
  return isRole(role) ? null : 'role must be administrator, operator or auditor';
}

async function otherAdministrators(db: Executor, exceptId: string): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'administrator')
    .where('id', '<>', exceptId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function usersService(ctx: ServiceContext) {
  async function create(
    input: { username: string; password: string; role: Role },
    actor: Actor,
    options: { mustChangePassword?: boolean } = {},
  ): Promise<Result<User>> {
    if (typeof input.username !== 'string' || !USERNAME.test(input.username)) {
      return fail('validation', 'username must be 1 to 64 letters, digits or . _ @ -');
    }
    const problem = checkPassword(input.password) ?? checkRole(input.role);
    if (problem) return fail('validation', problem);
    // Hash before the transaction: scrypt takes tens of milliseconds and must not hold a lock.
    const passwordHash = await hashPassword(input.password);
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const taken = await trx
          .selectFrom('users')
          .select('id')
          .where('username', '=', input.username)
          .executeTakeFirst();
        if (taken) abort('conflict', `user ${input.username} already exists`);
        const now = ctx.now();
        const row: UserRow = {
          id: newId(),
          username: input.username,
          role: input.role,
          password_hash: passwordHash,
          created_at: now,
          updated_at: now,
          must_change_password: options.mustChangePassword === true ? 1 : 0,
        };
        await trx.insertInto('users').values(row).execute();
        const user = presentUser(row);
        await recordAudit(trx, now, actor, 'user.create', { kind: 'user', id: row.id }, null, user);
        return user;
      }),
    );
  }

  async function get(id: string): Promise<Result<User>> {
    const row = await ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? ok(presentUser(row)) : fail('not-found', `user ${id} not found`);
  }

  async function list(request: PageRequest = {}): Promise<Result<Page<User>>> {
    const paged = keysetQuery(ctx.db.selectFrom('users').selectAll(), BY_USERNAME, request);
    if (!paged.ok) return paged;
    return ok(keysetToPage(await paged.value.query.execute(), paged.value.limit, BY_USERNAME, presentUser));
  }

  async function update(id: string, changes: { role?: Role; password?: string }, actor: Actor): Promise<Result<User>> {
    if (changes.role !== undefined) {
      const problem = checkRole(changes.role);
      if (problem) return fail('validation', problem);
    }
    let passwordHash: string | undefined;
    if (changes.password !== undefined) {
      const problem = checkPassword(changes.password);
      if (problem) return fail('validation', problem);
      passwordHash = await hashPassword(changes.password);
    }
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return abort('not-found', `user ${id} not found`);
        if (
          changes.role !== undefined &&
          changes.role !== 'administrator' &&
          row.role === 'administrator' &&
          (await otherAdministrators(trx, id)) === 0
        ) {
          abort('conflict', `${row.username} is the last administrator; make another user administrator first`);
        }
        const now = ctx.now();
        const next: UserRow = {
          ...row,
          role: changes.role ?? row.role,
          password_hash: passwordHash ?? row.password_hash,
          updated_at: now,
        };
        await trx
          .updateTable('users')
          .set({
            role: next.role,
            password_hash: next.password_hash,
            updated_at: now,
            // Whoever set the password, the printed first one is gone.
            ...(passwordHash === undefined ? {} : { must_change_password: 0 }),
          })
          .where('id', '=', id)
          .execute();
        if (passwordHash !== undefined) {
          // A new password ends the user's other sessions.
          await trx.deleteFrom('sessions').where('user_id', '=', id).execute();
        }
        const after = { ...presentUser(next), ...(passwordHash !== undefined ? { passwordChanged: true } : {}) };
        await recordAudit(trx, now, actor, 'user.update', { kind: 'user', id }, presentUser(row), after);
        return presentUser(next);
      }),
    );
  }

  async function remove(id: string, actor: Actor): Promise<Result<void>> {
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const row = await trx.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return abort('not-found', `user ${id} not found`);
        if (row.role === 'administrator' && (await otherAdministrators(trx, id)) === 0) {
          abort('conflict', `${row.username} is the last administrator and cannot be deleted`);
        }
        await trx.deleteFrom('users').where('id', '=', id).execute();
        await recordAudit(trx, ctx.now(), actor, 'user.delete', { kind: 'user', id }, presentUser(row), null);
      }),
    );
  }

  /**
   * The user whose name and password these are. A hash made with older scrypt parameters is
   * rewritten with today's now that the password is at hand.
   */
  async function verifyPassword(username: string, password: string): Promise<Result<Principal>> {
    const denied = fail<Principal>('unauthenticated', 'user name or password is wrong');
    if (typeof username !== 'string' || typeof password !== 'string' || password.length > MAX_PASSWORD) return denied;
    const row = await ctx.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    if (!row) {
      await spendVerificationTime(password);
      return denied;
    }
    if (!(await verifyPasswordHash(password, row.password_hash))) return denied;
    if (needsRehash(row.password_hash)) {
      const rehashed = await hashPassword(password);
      // Only if nobody changed the password meanwhile.
      await ctx.db
        .updateTable('users')
        .set({ password_hash: rehashed })
        .where('id', '=', row.id)
        .where('password_hash', '=', row.password_hash)
        .execute();
    }
    return ok({
      id: row.id,
      name: row.username,
      role: row.role as Role,
      kind: 'user',
      ...(row.must_change_password === 1 ? { mustChangePassword: true } : {}),
    });
  }

  /**
   * A signed-in user sets a new password, giving the current one. Ends the user's other
   * sessions (not `keepSessionTokenHash`) and lifts the first administrator's forced change.
   */
  async function changeOwnPassword(
    userId: string,
    currentPassword: string,
    newPassword: string,
    keepSessionTokenHash: string | null,
  ): Promise<Result<User>> {
    const row = await ctx.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    if (!row) return fail('not-found', `user ${userId} not found`);
    if (!(await verifyPasswordHash(currentPassword, row.password_hash))) {
      return fail('validation', 'the current password is wrong', [
        { path: '/currentPassword', message: 'is not the current password' },
      ]);
    }
    const problem = checkPassword(newPassword);
    if (problem) return fail('validation', problem, [{ path: '/newPassword', message: problem }]);
    if (newPassword === currentPassword) {
      return fail('validation', 'the new password must differ from the current one', [
        { path: '/newPassword', message: 'is the current password' },
      ]);
    }
    const passwordHash = await hashPassword(newPassword);
    return guarded(() =>
      inTransaction(ctx.db, async (trx) => {
        const now = ctx.now();
        await trx
          .updateTable('users')
          .set({ password_hash: passwordHash, must_change_password: 0, updated_at: now })
          .where('id', '=', userId)
          .execute();
        let others = trx.deleteFrom('sessions').where('user_id', '=', userId);
        if (keepSessionTokenHash !== null) others = others.where('token_hash', '<>', keepSessionTokenHash);
        await others.execute();
        const user = presentUser({ ...row, updated_at: now });
        const actor: Actor = { kind: 'user', id: row.id, name: row.username };
        await recordAudit(trx, now, actor, 'user.password-change', { kind: 'user', id: row.id }, null, {
          ...user,
          passwordChanged: true,
        });
        return user;
      }),
    );
  }

  /** First start only: creates `admin` with a random password and returns it (once); else null. */
  async function ensureInitialAdmin(): Promise<string | null> {
    const any = await ctx.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (any) return null;
    const password = randomSecret(18);
    try {
      // The password is printed where others may see it: the first sign-in must replace it.
      const created = await create(
        { username: INITIAL_ADMIN_USERNAME, password, role: 'administrator' },
        SYSTEM_ACTOR,
        { mustChangePassword: true },
      );
      return created.ok ? password : null;
    } catch (error) {
      // Another manager node bootstrapped at the same moment: its insert won the unique name (our
      // "already exists" check ran before its commit), and it owns and prints the password.
      const now = await ctx.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
      if (now) return null;
      throw error;
    }
  }

  return { create, get, list, update, delete: remove, verifyPassword, changeOwnPassword, ensureInitialAdmin };
}

export type UsersService = ReturnType<typeof usersService>;
