/** Roles from least to most powerful: each includes everything the ones before it may do. */
export const ROLES = ['auditor', 'operator', 'administrator'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when the principal's role is at least `needed`. */
export function hasRole(principal: { readonly role: Role | string }, needed: Role): boolean {
  const have = ROLES.indexOf(principal.role as Role);
  return have >= 0 && have >= ROLES.indexOf(needed);
}

/** Whoever calls the API: a console user (session) or an API key. */
export interface Principal {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly kind: 'user' | 'api-key';
  /** A user who signed in with a password someone else saw (the first administrator's): only changing it is allowed. */
  readonly mustChangePassword?: boolean;
}

/** Who made a change, as the audit log records it. A Principal is an Actor. */
export interface Actor {
  readonly kind: 'user' | 'api-key' | 'system';
  readonly id: string | null;
  readonly name: string;
}

/** The manager itself: bootstrapping, the offline CLI, agent-initiated changes. */
export const SYSTEM_ACTOR: Actor = { kind: 'system', id: null, name: 'system' };
