/** The manager's HTTP API, as the console calls it: same origin, session cookie, CSRF header on changes. */

export type Role = 'administrator' | 'operator' | 'auditor';

export interface Caller {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly kind: 'user' | 'api-key';
  readonly mustChangePassword?: boolean;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** An answer other than 2xx: the problem document's title, detail and issues. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    detail: string,
    readonly issues: readonly { path: string; message: string }[] = [],
  ) {
    super(detail);
  }
}

const CSRF_KEY = 'bulwark.csrf';

/** The CSRF token given at sign-in: kept for this tab only (sessionStorage), sent on every change. */
export const csrf = {
  get: (): string | null => sessionStorage.getItem(CSRF_KEY),
  set: (token: string | null) =>
    token === null ? sessionStorage.removeItem(CSRF_KEY) : sessionStorage.setItem(CSRF_KEY, token),
};

let onUnauthenticated: () => void = () => {};
/** What to do when the session ends under a request (expired, closed elsewhere): back to sign-in. */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = csrf.get();
  if (method !== 'GET' && token !== null) headers['x-csrf-token'] = token;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const json = text === '' ? undefined : (JSON.parse(text) as unknown);
  if (!response.ok) {
    const problem = (json ?? {}) as {
      type?: string;
      title?: string;
      detail?: string;
      issues?: { path: string; message: string }[];
    };
    if (response.status === 401 && path !== '/api/sessions') onUnauthenticated();
    throw new ApiProblem(
      response.status,
      problem.type ?? '',
      problem.detail ?? problem.title ?? `${response.status} ${response.statusText}`,
      problem.issues ?? [],
    );
  }
  return json as T;
}

export const get = <T>(path: string, query?: Query) => api<T>('GET', withQuery(path, query));

/** Explains a failed call in one line, issues included. */
export function problemText(error: unknown): string {
  if (error instanceof ApiProblem) {
    const issues = error.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return issues === '' || error.message.includes(issues) ? error.message : `${error.message} (${issues})`;
  }
  return error instanceof Error ? error.message : String(error);
}

const RANK: Record<Role, number> = { auditor: 0, operator: 1, administrator: 2 };
export function hasRole(caller: Caller | null, needed: Role): boolean {
  return caller !== null && RANK[caller.role] >= RANK[needed];
}
