import type { ValidationIssue } from '@bulwark/protocol';

/** What went wrong, in words the caller can act on; the HTTP layer maps `kind` to a status. */
export type ServiceErrorKind = 'not-found' | 'conflict' | 'validation' | 'forbidden' | 'unauthenticated';

export interface ServiceError {
  readonly kind: ServiceErrorKind;
  readonly message: string;
  /** Schema failures, with a JSON pointer per issue. */
  readonly issues?: readonly ValidationIssue[];
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ServiceError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(
  kind: ServiceErrorKind,
  message: string,
  issues?: readonly ValidationIssue[],
): Result<T> {
  return { ok: false, error: issues ? { kind, message, issues } : { kind, message } };
}

/** Thrown inside a transaction to roll it back and come out as the given error value. */
export class ServiceFailure extends Error {
  constructor(readonly error: ServiceError) {
    super(error.message);
  }
}

export function abort(kind: ServiceErrorKind, message: string, issues?: readonly ValidationIssue[]): never {
  throw new ServiceFailure(issues ? { kind, message, issues } : { kind, message });
}

/** Runs work that may `abort`, turning the abort into an error value and anything else into a rethrow. */
export async function guarded<T>(work: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await work());
  } catch (error) {
    if (error instanceof ServiceFailure) return { ok: false, error: error.error };
    throw error;
  }
}
