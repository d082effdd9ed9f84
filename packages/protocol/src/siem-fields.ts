/**
 * A module's event field lifted out of `details` into a SIEM's own vocabulary: `cef` is a CEF
 * extension key (or a custom-string slot, with its label in `cefLabel`), `leef` a LEEF attribute.
 * The forwarder always sends the whole `details` object as well (JSON), so a field no module maps
 * is not lost. docs/forwarding.md tables each module's mapping.
 */
export interface SiemField {
  readonly cef: string;
  readonly cefLabel?: string;
  readonly leef: string;
  readonly value: string | number;
}

/** What a module's `siemFields` hook is given: the event's type and its details. */
export interface SiemFieldInput {
  readonly type: string;
  readonly details: Readonly<Record<string, unknown>>;
}

type Details = Readonly<Record<string, unknown>>;

/** A non-empty string, or a finite number as text; else undefined (the field is left out). */
export function siemText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

export function siemInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
}

/** A port given as a number or as decimal text (decoded log fields are text). */
export function siemPort(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,5}$/.test(value) ? Number(value) : siemInteger(value);
  return n !== undefined && n >= 0 && n <= 65_535 ? n : undefined;
}

export function siemObject(value: unknown): Details | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Details) : undefined;
}

/** Collects fields in order; a field whose value is undefined is left out. */
export class SiemFieldList {
  readonly fields: SiemField[] = [];
  add(cef: string, leef: string, value: string | number | undefined, cefLabel?: string): void {
    if (value === undefined) return;
    this.fields.push(cefLabel === undefined ? { cef, leef, value } : { cef, leef, value, cefLabel });
  }
}
