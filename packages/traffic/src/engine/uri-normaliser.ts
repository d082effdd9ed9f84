/**
 * The normalised form of a request target, the one rules match (`http.uri`), beside the raw one
 * (`http.uri.raw`). Each evasion undone is reported as an anomaly code, so a rule can also fire on
 * the evasion itself:
 *
 * | evasion | example | normalised | anomaly |
 * |---|---|---|---|
 * | percent-encoding | `/%61dmin` | `/admin` | (none: ordinary) |
 * | double encoding | `/%252e%252e/` | `/../` then resolved | `uri-double-encoding` |
 * | IIS `%u` | `/%u002e%u002e/` | `/../` then resolved | `uri-u-encoding` |
 * | overlong UTF-8 | `/%c0%af` | `//` then collapsed | `uri-overlong-utf8` |
 * | backslash | `\..\windows` | `/../windows` then resolved | `uri-backslash` |
 * | `/./`, `//` | `/a/.//b` | `/a/b` | (none) |
 * | `../` | `/a/../../etc` | `/etc` | `uri-traversal-above-root` when it climbs past `/` |
 * | NUL | `/x.php%00.jpg` | kept, flagged | `uri-nul` |
 *
 * Works on bytes: decoded bytes that are not UTF-8 stay as they are.
 */

export interface NormalisedUri {
  /** Normalised path, then `?` and the query percent-decoded (when there is a query). */
  readonly uri: Uint8Array;
  readonly path: string;
  /** Query parameters in order, names and values percent-decoded (`+` is a space). */
  readonly parameters: readonly (readonly [string, string])[];
  readonly anomalies: readonly string[];
}

/** Passes of percent-decoding at most (double, triple encoding); more is left encoded and flagged. */
export const MAX_URI_DECODE_PASSES = 3;

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8Encoder = new TextEncoder();

export function normaliseUri(raw: string | Uint8Array): NormalisedUri {
  const bytes = typeof raw === 'string' ? utf8Encoder.encode(raw) : raw;
  const anomalies = new Set<string>();
  const q = bytes.indexOf(0x3f);
  const rawPath = q < 0 ? bytes : bytes.subarray(0, q);
  const rawQuery = q < 0 ? undefined : bytes.subarray(q + 1);

  let path = decodeRepeatedly(rawPath, anomalies);
  path = undoOverlongUtf8(path, anomalies);
  if (path.includes(0)) anomalies.add('uri-nul');
  if (path.includes(0x5c)) {
    anomalies.add('uri-backslash');
    path = path.map((b) => (b === 0x5c ? 0x2f : b));
  }
  const resolved = resolveSegments(path, anomalies);

  let uri = resolved;
  const parameters: [string, string][] = [];
  if (rawQuery !== undefined) {
    const query = undoOverlongUtf8(percentDecodeOnce(rawQuery, anomalies), anomalies);
    if (query.includes(0)) anomalies.add('uri-nul');
    uri = new Uint8Array(resolved.length + 1 + query.length);
    uri.set(resolved, 0);
    uri[resolved.length] = 0x3f;
    uri.set(query, resolved.length + 1);
    for (const pair of splitBytes(rawQuery, 0x26)) {
      if (pair.length === 0) continue;
      const eq = pair.indexOf(0x3d);
      const name = eq < 0 ? pair : pair.subarray(0, eq);
      const value = eq < 0 ? new Uint8Array(0) : pair.subarray(eq + 1);
      parameters.push([decodeParameter(name), decodeParameter(value)]);
    }
  }
  return { uri, path: utf8.decode(resolved), parameters, anomalies: [...anomalies] };
}

function decodeParameter(b: Uint8Array): string {
  const spaced = b.map((x) => (x === 0x2b ? 0x20 : x));
  return utf8.decode(percentDecodeOnce(spaced, new Set()));
}

function splitBytes(b: Uint8Array, sep: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === sep) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

const hexValue = (c: number | undefined): number => {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
};

function hasEncoding(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0x25) continue;
    if (hexValue(b[i + 1]) >= 0 && hexValue(b[i + 2]) >= 0) return true;
    if ((b[i + 1] === 0x75 || b[i + 1] === 0x55) && [2, 3, 4, 5].every((k) => hexValue(b[i + k]) >= 0)) return true;
  }
  return false;
}

function decodeRepeatedly(b: Uint8Array, anomalies: Set<string>): Uint8Array {
  let out = percentDecodeOnce(b, anomalies);
  for (let pass = 1; pass < MAX_URI_DECODE_PASSES && hasEncoding(out); pass++) {
    anomalies.add('uri-double-encoding');
    out = percentDecodeOnce(out, anomalies);
  }
  if (hasEncoding(out)) anomalies.add('uri-encoding-too-deep');
  return out;
}

/** One pass of `%XX` and IIS `%uXXXX`; malformed escapes stay as they are (flagged). */
function percentDecodeOnce(b: Uint8Array, anomalies: Set<string>): Uint8Array {
  if (!b.includes(0x25)) return b;
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i] ?? 0;
    if (c !== 0x25) {
      out.push(c);
      continue;
    }
    const h = hexValue(b[i + 1]);
    const l = hexValue(b[i + 2]);
    if (h >= 0 && l >= 0) {
      out.push(h * 16 + l);
      i += 2;
      continue;
    }
    if ((b[i + 1] === 0x75 || b[i + 1] === 0x55) && [2, 3, 4, 5].every((k) => hexValue(b[i + k]) >= 0)) {
      const cp = [2, 3, 4, 5].reduce((acc, k) => acc * 16 + hexValue(b[i + k]), 0);
      anomalies.add('uri-u-encoding');
      out.push(...utf8Encoder.encode(String.fromCharCode(cp)));
      i += 5;
      continue;
    }
    anomalies.add('uri-bad-encoding');
    out.push(c);
  }
  return Uint8Array.from(out);
}

/** Overlong UTF-8 (a character in more bytes than it needs, e.g. C0 AF for `/`) decoded to the character. */
function undoOverlongUtf8(b: Uint8Array, anomalies: Set<string>): Uint8Array {
  let found = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i] ?? 0;
    if ((c === 0xc0 || c === 0xc1) && isCont(b[i + 1])) found = true;
    else if (c === 0xe0 && (b[i + 1] ?? 0) >= 0x80 && (b[i + 1] ?? 0) <= 0x9f && isCont(b[i + 2])) found = true;
    else if (c === 0xf0 && (b[i + 1] ?? 0) >= 0x80 && (b[i + 1] ?? 0) <= 0x8f && isCont(b[i + 2]) && isCont(b[i + 3]))
      found = true;
    if (found) break;
  }
  if (!found) return b;
  anomalies.add('uri-overlong-utf8');
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    const c = b[i] ?? 0;
    const c1 = b[i + 1] ?? 0;
    if ((c === 0xc0 || c === 0xc1) && isCont(b[i + 1])) {
      out.push(...encodeCodePoint(((c & 0x1f) << 6) | (c1 & 0x3f)));
      i += 1;
    } else if (c === 0xe0 && c1 >= 0x80 && c1 <= 0x9f && isCont(b[i + 2])) {
      out.push(...encodeCodePoint(((c1 & 0x3f) << 6) | ((b[i + 2] ?? 0) & 0x3f)));
      i += 2;
    } else if (c === 0xf0 && c1 >= 0x80 && c1 <= 0x8f && isCont(b[i + 2]) && isCont(b[i + 3])) {
      out.push(...encodeCodePoint(((c1 & 0x3f) << 12) | (((b[i + 2] ?? 0) & 0x3f) << 6) | ((b[i + 3] ?? 0) & 0x3f)));
      i += 3;
    } else out.push(c);
  }
  return Uint8Array.from(out);
}

const isCont = (c: number | undefined) => c !== undefined && c >= 0x80 && c <= 0xbf;
const encodeCodePoint = (cp: number): Uint8Array => utf8Encoder.encode(String.fromCodePoint(cp));

/** `//` collapsed, `.` dropped, `..` resolved (never above the root; flagged when tried). */
function resolveSegments(b: Uint8Array, anomalies: Set<string>): Uint8Array {
  if (b.length === 0) return b;
  const absolute = b[0] === 0x2f;
  const segments = splitBytes(b, 0x2f);
  const kept: Uint8Array[] = [];
  const trailingSlash = b[b.length - 1] === 0x2f || isDots(segments[segments.length - 1]);
  for (const s of segments) {
    if (s.length === 0 || (s.length === 1 && s[0] === 0x2e)) continue;
    if (s.length === 2 && s[0] === 0x2e && s[1] === 0x2e) {
      if (kept.length === 0) anomalies.add('uri-traversal-above-root');
      else kept.pop();
      continue;
    }
    kept.push(s);
  }
  const parts: number[] = [];
  kept.forEach((s, i) => {
    if (i > 0 || absolute) parts.push(0x2f);
    parts.push(...s);
  });
  if (trailingSlash && kept.length > 0) parts.push(0x2f);
  if (parts.length === 0 && absolute) parts.push(0x2f);
  return Uint8Array.from(parts);
}

function isDots(s: Uint8Array | undefined): boolean {
  return s !== undefined && s.length > 0 && s.length <= 2 && s.every((c) => c === 0x2e);
}
