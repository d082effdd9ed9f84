import { isIP } from 'node:net';

/**
 * One entry of an allow list, a block list or the reputation data, as written by an
 * administrator or a feed, parsed. What each form matches:
 *
 * | written                      | pattern      | matches                                             |
 * |------------------------------|--------------|-----------------------------------------------------|
 * | `example.com`                | host         | that host only                                      |
 * | `*.example.com`              | subdomains   | every name under it, not `example.com` itself      |
 * | `.example.com`               | subdomains   | `example.com` and every name under it              |
 * | `example.com/dl/`, `http://example.com/dl/` | url prefix | HTTP URLs on that host whose path starts with `/dl/` |
 * | `example.com/dl/x.exe`       | url          | that path exactly (any query)                       |
 * | `203.0.113.7`, `2001:db8::1` | address      | connections to that address                         |
 * | `203.0.113.0/24`, `2001:db8::/32` | network | connections to any address in it                    |
 *
 * Host names are ASCII (international names in their `xn--` form), compared without case and
 * without a trailing dot. URL paths are compared as sent (case-sensitive); a query is never part
 * of an entry. HTTPS connections only show their host (TLS SNI), so URL entries apply to HTTP.
 */
export type TargetPattern =
  | { readonly kind: 'host'; readonly host: string }
  | { readonly kind: 'subdomains'; readonly host: string; readonly includeSelf: boolean }
  | { readonly kind: 'url'; readonly key: string; readonly prefix: boolean }
  | { readonly kind: 'address'; readonly family: 4 | 6; readonly bytes: Uint8Array }
  | { readonly kind: 'network'; readonly family: 4 | 6; readonly bytes: Uint8Array; readonly bits: number };

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export const MAX_HOST_CHARS = 253;
export const MAX_URL_ENTRY_CHARS = 2048;

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** A host name as compared: lower case, no trailing dot; an error for anything else. */
export function normaliseHost(text: string): Parsed<string> {
  let host = text.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0) return { ok: false, error: 'empty host name' };
  if (host.length > MAX_HOST_CHARS) return { ok: false, error: `host name longer than ${MAX_HOST_CHARS} characters` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking for them is the point
  if (/[^\x00-\x7f]/.test(host))
    return { ok: false, error: `"${preview(text)}" is not ASCII: write international names in their xn-- form` };
  for (const label of host.split('.')) {
    if (!LABEL.test(label))
      return { ok: false, error: `"${preview(text)}" is not a host name (label "${preview(label)}")` };
  }
  return { ok: true, value: host };
}

/** The 4 or 16 bytes of an IP address; undefined when `text` is not one. */
export function addressBytes(text: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  const family = isIP(text);
  if (family === 4) return { family, bytes: Uint8Array.from(text.split('.').map(Number)) };
  if (family !== 6) return undefined;
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').filter((g) => g.length > 0) : []);
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const all = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill('0'), ...r];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    const n = Number.parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  if (v4.length === 4) bytes.set(v4, 12);
  return { family: 6, bytes };
}

export function parseTarget(input: string): Parsed<TargetPattern> {
  const text = input.trim();
  if (text.length === 0) return { ok: false, error: 'empty entry' };
  if (text.length > MAX_URL_ENTRY_CHARS)
    return { ok: false, error: `entry longer than ${MAX_URL_ENTRY_CHARS} characters` };
  if (/\s/.test(text)) return { ok: false, error: `"${preview(text)}" holds white space` };
  const slash = text.indexOf('/');
  // An address or a network (its '/' is the prefix length).
  const maybeNetwork = slash > 0 ? text.slice(0, slash) : text;
  const address = addressBytes(maybeNetwork.startsWith('[') ? maybeNetwork.slice(1, -1) : maybeNetwork);
  if (address !== undefined) {
    if (slash < 0) return { ok: true, value: { kind: 'address', ...address } };
    const bitsText = text.slice(slash + 1);
    const max = address.family === 4 ? 32 : 128;
    const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
    if (!(bits >= 0 && bits <= max)) return { ok: false, error: `"${preview(text)}": prefix length must be 0-${max}` };
    return { ok: true, value: { kind: 'network', ...address, bytes: masked(address.bytes, bits), bits } };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme !== null && !['http', 'https'].includes(scheme[1]!.toLowerCase()))
    return { ok: false, error: `"${preview(text)}": only http and https URLs can be matched` };
  const rest = scheme === null ? text : text.slice(scheme[0].length);
  if (scheme !== null || rest.includes('/')) return parseUrl(text, rest);
  if (text.startsWith('*.') || text.startsWith('.')) {
    const host = normaliseHost(text.slice(text.startsWith('*.') ? 2 : 1));
    if (!host.ok) return host;
    return { ok: true, value: { kind: 'subdomains', host: host.value, includeSelf: !text.startsWith('*') } };
  }
  if (text.includes('*'))
    return { ok: false, error: `"${preview(text)}": a wildcard is only allowed as "*." in front` };
  const host = normaliseHost(text);
  return host.ok ? { ok: true, value: { kind: 'host', host: host.value } } : host;
}

function parseUrl(text: string, rest: string): Parsed<TargetPattern> {
  if (/[?#]/.test(rest))
    return { ok: false, error: `"${preview(text)}": a query or fragment cannot be matched; end the entry at the path` };
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '/' : rest.slice(slash);
  if (authority.includes('@')) return { ok: false, error: `"${preview(text)}": user names are not part of an entry` };
  const hostText = authority.replace(/:(\d{1,5})$/, '');
  const host = normaliseHost(hostText);
  if (!host.ok) return host;
  return { ok: true, value: { kind: 'url', key: `${host.value}${path}`, prefix: path.endsWith('/') } };
}

export function masked(bytes: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = bytes[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** How an entry is shown in events and lists: its canonical written form. */
export function describeTarget(pattern: TargetPattern): string {
  switch (pattern.kind) {
    case 'host':
      return pattern.host;
    case 'subdomains':
      return `${pattern.includeSelf ? '.' : '*.'}${pattern.host}`;
    case 'url':
      return pattern.key;
    case 'address':
      return formatAddress(pattern.family, pattern.bytes);
    case 'network':
      return `${formatAddress(pattern.family, pattern.bytes)}/${pattern.bits}`;
  }
}

export function formatAddress(family: 4 | 6, bytes: Uint8Array): string {
  if (family === 4) return [...bytes].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
