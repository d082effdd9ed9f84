/**
 * Suricata's buffer transforms that this engine applies (a transform follows the sticky buffer
 * it changes, and later content and pcre read the changed buffer). Others are refused.
 */
export type Transform = 'dotprefix' | 'url_decode' | 'to_lowercase' | 'compress_whitespace' | 'strip_whitespace';

export const TRANSFORMS: ReadonlySet<string> = new Set<Transform>([
  'dotprefix',
  'url_decode',
  'to_lowercase',
  'compress_whitespace',
  'strip_whitespace',
]);

/** `%HH` to its byte and `+` to a space, as Suricata's url_decode; a bad `%` stays as it is. */
function urlDecode(text: string): string {
  if (!text.includes('%') && !text.includes('+')) return text;
  return text.replace(/\+|%([0-9A-Fa-f]{2})/g, (_m, hex: string | undefined) =>
    hex === undefined ? ' ' : String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

export function applyTransforms(text: string, transforms: readonly Transform[]): string {
  let out = text;
  for (const t of transforms) {
    if (t === 'dotprefix') out = `.${out}`;
    else if (t === 'url_decode') out = urlDecode(out);
    else if (t === 'to_lowercase') out = out.replace(/[A-Z]+/g, (m) => m.toLowerCase());
    else if (t === 'compress_whitespace') out = out.replace(/[ \t\r\n\v\f]+/g, ' ');
    else out = out.replace(/[ \t\r\n\v\f]+/g, '');
  }
  return out;
}
