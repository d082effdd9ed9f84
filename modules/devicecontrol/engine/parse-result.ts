/** What a parser of device data returns: the value, or why the input was refused and where. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ParseError };

export interface ParseError {
  /** A stable word for the kind of problem, e.g. `too-long`, `bad-header`. */
  readonly code: string;
  readonly message: string;
  /** Byte offset (uevent messages, descriptors) or line (sysfs files) where it went wrong. */
  readonly at: number;
}

export const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
export const refuse = <T>(code: string, message: string, at = 0): ParseResult<T> => ({
  ok: false,
  error: { code, message, at },
});
