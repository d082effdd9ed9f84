/**
 * Addresses and ports of a Suricata rule header: `any`, addresses and CIDR blocks (IPv4 and
 * IPv6), port numbers and ranges (`1024:`, `:1023`, `80:90`), lists `[a,b]`, negation `!`, and
 * `$NAME` variables taken from the module settings (expanded where they are used, so a variable
 * may hold a list or a negation of its own).
 */
import type { Parsed } from './suricata-text.js';

type Address = { readonly v6: boolean; readonly bits: bigint; readonly prefix: number };

export type AddressMatcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'block'; readonly block: Address }
  | { readonly kind: 'not'; readonly inner: AddressMatcher }
  | { readonly kind: 'list'; readonly items: readonly AddressMatcher[] };

export type PortMatcher =
  | { readonly kind: 'any' }
  | { readonly kind: 'range'; readonly low: number; readonly high: number }
  | { readonly kind: 'not'; readonly inner: PortMatcher }
  | { readonly kind: 'list'; readonly items: readonly PortMatcher[] };

const MAX_DEPTH = 8;

/** Splits the top level of `a,[b,c],!d` at commas outside brackets. */
function splitList(body: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of body) {
    if (c === '[') depth++;
    if (c === ']') depth--;
    if (depth < 0) return undefined;
    if (c === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += c;
  }
  if (depth !== 0) return undefined;
  out.push(current.trim());
  return out;
}

function parseWith<T>(
  spec: string,
  variables: Readonly<Record<string, string>>,
  what: string,
  leaf: (s: string) => Parsed<T>,
  wrap: { any: T; not: (inner: T) => T; list: (items: T[]) => T },
  depth = 0,
): Parsed<T> {
  const s = spec.trim();
  if (depth > MAX_DEPTH) return { ok: false, message: `${what} variables nest too deep (or refer to themselves)` };
  if (s === '') return { ok: false, message: `an empty ${what}` };
  if (s === 'any') return { ok: true, value: wrap.any };
  if (s.startsWith('!')) {
    const inner = parseWith(s.slice(1), variables, what, leaf, wrap, depth + 1);
    return inner.ok ? { ok: true, value: wrap.not(inner.value) } : inner;
  }
  if (s.startsWith('$')) {
    const name = s.slice(1);
    const value = Object.hasOwn(variables, name) ? variables[name] : undefined;
    if (value === undefined) return { ok: false, message: `undefined variable $${name}` };
    return parseWith(value, variables, what, leaf, wrap, depth + 1);
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) return { ok: false, message: `an unclosed ${what} list "${s.slice(0, 60)}"` };
    const parts = splitList(s.slice(1, -1));
    if (parts === undefined || parts.length > 1024) return { ok: false, message: `a malformed ${what} list` };
    const items: T[] = [];
    for (const part of parts) {
      const item = parseWith(part, variables, what, leaf, wrap, depth + 1);
      if (!item.ok) return item;
      items.push(item.value);
    }
    return { ok: true, value: wrap.list(items) };
  }
  return leaf(s);
}

function parseIpv4(s: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  let n = 0n;
  for (let k = 1; k <= 4; k++) {
    const octet = Number(m[k]);
    if (octet > 255) return undefined;
    n = (n << 8n) | BigInt(octet);
  }
  return n;
}

function parseIpv6(s: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  let text = s;
  if (text.includes('.')) {
    const colon = text.lastIndexOf(':');
    const v4 = parseIpv4(text.slice(colon + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, colon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): bigint[] | undefined => {
    if (part === '') return [];
    const out: bigint[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const a = groups(halves[0] as string);
  const b = halves.length === 2 ? groups(halves[1] as string) : [];
  if (a === undefined || b === undefined) return undefined;
  const total = a.length + b.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const all = [...a, ...Array<bigint>(8 - total).fill(0n), ...b];
  return all.reduce((n, g) => (n << 16n) | g, 0n);
}

/** An address as the traffic engine writes it (dotted IPv4 or IPv6 text). */
export function parseAddress(text: string): { v6: boolean; bits: bigint } | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { v6: false, bits: v4 };
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped) {
    const inner = parseIpv4(mapped[1] as string);
    if (inner !== undefined) return { v6: false, bits: inner };
  }
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { v6: true, bits: v6 };
}

function parseBlock(s: string): Parsed<AddressMatcher> {
  const [addr, prefixText, extra] = s.split('/');
  if (extra !== undefined || addr === undefined) return { ok: false, message: `the address "${s}"` };
  const parsed = parseAddress(addr);
  if (parsed === undefined) return { ok: false, message: `the address "${s}" is not an IP address` };
  const width = parsed.v6 ? 128 : 32;
  let prefix = width;
  if (prefixText !== undefined) {
    if (/^\d{1,3}$/.test(prefixText) && Number(prefixText) <= width) prefix = Number(prefixText);
    else {
      const mask = parseIpv4(prefixText);
      if (parsed.v6 || mask === undefined) return { ok: false, message: `the prefix of "${s}"` };
      prefix = mask.toString(2).replace(/0+$/, '').length;
    }
  }
  const shift = BigInt(width - prefix);
  return {
    ok: true,
    value: { kind: 'block', block: { v6: parsed.v6, bits: (parsed.bits >> shift) << shift, prefix } },
  };
}

export function parseAddressSpec(spec: string, variables: Readonly<Record<string, string>>): Parsed<AddressMatcher> {
  return parseWith<AddressMatcher>(spec, variables, 'address', parseBlock, {
    any: { kind: 'any' },
    not: (inner) => ({ kind: 'not', inner }),
    list: (items) => ({ kind: 'list', items }),
  });
}

function parsePortLeaf(s: string): Parsed<PortMatcher> {
  const m = /^(\d{1,5})?(:)?(\d{1,5})?$/.exec(s);
  if (!m || (m[1] === undefined && m[3] === undefined)) return { ok: false, message: `the port "${s}"` };
  const low = m[1] === undefined ? 0 : Number(m[1]);
  const high = m[2] === undefined ? low : m[3] === undefined ? 65535 : Number(m[3]);
  if (low > 65535 || high > 65535 || low > high) return { ok: false, message: `the port range "${s}"` };
  return { ok: true, value: { kind: 'range', low, high } };
}

export function parsePortSpec(spec: string, variables: Readonly<Record<string, string>>): Parsed<PortMatcher> {
  return parseWith<PortMatcher>(spec, variables, 'port', parsePortLeaf, {
    any: { kind: 'any' },
    not: (inner) => ({ kind: 'not', inner }),
    list: (items) => ({ kind: 'list', items }),
  });
}

/** A list matches when one of its positive items matches (or it has none) and no negated one does. */
function matchList<M extends { kind: string }>(items: readonly M[], test: (m: M) => boolean): boolean {
  let positives = 0;
  let positiveHit = false;
  for (const item of items) {
    if (item.kind === 'not') {
      if (test(item)) continue;
      return false;
    }
    positives++;
    if (!positiveHit && test(item)) positiveHit = true;
  }
  return positives === 0 || positiveHit;
}

export function matchAddress(m: AddressMatcher, address: { v6: boolean; bits: bigint } | undefined): boolean {
  switch (m.kind) {
    case 'any':
      return true;
    case 'block': {
      if (address === undefined || address.v6 !== m.block.v6) return false;
      const shift = BigInt((m.block.v6 ? 128 : 32) - m.block.prefix);
      return (address.bits >> shift) << shift === m.block.bits;
    }
    case 'not':
      return !matchAddress(m.inner, address);
    case 'list':
      return matchList(m.items, (item) => matchAddress(item, address));
  }
}

export function matchPort(m: PortMatcher, port: number): boolean {
  switch (m.kind) {
    case 'any':
      return true;
    case 'range':
      return port >= m.low && port <= m.high;
    case 'not':
      return !matchPort(m.inner, port);
    case 'list':
      return matchList(m.items, (item) => matchPort(item, port));
  }
}

/** The ports a matcher lets through, for steering; undefined = too many to list (all ports). */
export function listedPorts(m: PortMatcher, limit = 64): number[] | undefined {
  if (m.kind === 'range') {
    if (m.high - m.low >= limit) return undefined;
    const out: number[] = [];
    for (let p = Math.max(1, m.low); p <= m.high; p++) out.push(p);
    return out;
  }
  if (m.kind === 'list' && m.items.every((i) => i.kind !== 'not')) {
    const out = new Set<number>();
    for (const item of m.items) {
      const ports = listedPorts(item, limit);
      if (ports === undefined) return undefined;
      for (const p of ports) out.add(p);
    }
    return out.size > limit ? undefined : [...out];
  }
  return undefined;
}
