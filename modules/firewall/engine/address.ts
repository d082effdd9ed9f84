import { isIPv4, isIPv6 } from 'node:net';

/** IP address family as nftables names it. */
export type Family = 'ipv4' | 'ipv6';

/** One address term of a rule or list: a single address, a CIDR block or an inclusive range. */
export interface AddressTerm {
  readonly family: Family;
  /** The term as nft writes it: `10.0.0.1`, `10.0.0.0/8`, `10.0.0.1-10.0.0.9`. */
  readonly nft: string;
}

export type TermResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

function ipv4ToNumber(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function ipv6ToNumber(text: string): bigint {
  let address = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4?.[1]) {
    const n = ipv4ToNumber(v4[1]);
    address = `${address.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function familyOf(address: string): Family | undefined {
  if (isIPv4(address) && /^\d+\.\d+\.\d+\.\d+$/.test(address)) return 'ipv4';
  if (isIPv6(address) && !address.includes('%')) return 'ipv6';
  return undefined;
}

/** Parses `a`, `a/len` or `a-b` (IPv4 or IPv6). Never throws. */
export function parseAddressTerm(input: unknown): TermResult<AddressTerm> {
  if (typeof input !== 'string' || input.length === 0 || input.length > 100) {
    return { ok: false, message: 'expected an IP address, CIDR block or range as text' };
  }
  const text = input.trim().toLowerCase();
  const slash = text.indexOf('/');
  const dash = text.indexOf('-');
  if (slash >= 0) {
    const address = text.slice(0, slash);
    const lengthText = text.slice(slash + 1);
    const family = familyOf(address);
    if (!family) return { ok: false, message: `"${input}" is not a valid CIDR block: bad address "${address}"` };
    const max = family === 'ipv4' ? 32 : 128;
    if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > max) {
      return { ok: false, message: `"${input}" is not a valid CIDR block: prefix length must be 0 to ${max}` };
    }
    const bits = Number(lengthText);
    const value = family === 'ipv4' ? ipv4ToNumber(address) : ipv6ToNumber(address);
    const hostBits = BigInt(max - bits);
    if ((value & ((1n << hostBits) - 1n)) !== 0n) {
      return { ok: false, message: `"${input}" is not a valid CIDR block: host bits are set` };
    }
    return { ok: true, value: { family, nft: `${address}/${bits}` } };
  }
  if (dash >= 0) {
    const from = text.slice(0, dash);
    const to = text.slice(dash + 1);
    const family = familyOf(from);
    if (!family || familyOf(to) !== family) {
      return { ok: false, message: `"${input}" is not a valid range: both ends must be addresses of one family` };
    }
    const toNumber = family === 'ipv4' ? ipv4ToNumber : ipv6ToNumber;
    if (toNumber(from) > toNumber(to)) {
      return { ok: false, message: `"${input}" is not a valid range: start is after end` };
    }
    return { ok: true, value: { family, nft: `${from}-${to}` } };
  }
  const family = familyOf(text);
  if (!family) return { ok: false, message: `"${input}" is not a valid IP address` };
  return { ok: true, value: { family, nft: text } };
}

/** Parses a port term: an integer or `low-high`. Never throws. */
export function parsePortTerm(input: unknown): TermResult<string> {
  const inRange = (n: number) => Number.isInteger(n) && n >= 0 && n <= 65535;
  if (typeof input === 'number') {
    return inRange(input)
      ? { ok: true, value: String(input) }
      : { ok: false, message: `port ${input} is not 0 to 65535` };
  }
  if (typeof input !== 'string') return { ok: false, message: 'expected a port number or a range "low-high"' };
  const match = /^\s*(\d{1,6})\s*(?:-\s*(\d{1,6})\s*)?$/.exec(input);
  if (!match?.[1]) return { ok: false, message: `"${input}" is not a port or a port range "low-high"` };
  const low = Number(match[1]);
  const high = match[2] === undefined ? low : Number(match[2]);
  if (!inRange(low) || !inRange(high)) return { ok: false, message: `"${input}": ports must be 0 to 65535` };
  if (low > high) return { ok: false, message: `"${input}": range start is after its end` };
  return { ok: true, value: low === high ? String(low) : `${low}-${high}` };
}

/** Parses a MAC address (six hex pairs separated by `:` or `-`). Never throws. */
export function parseMac(input: unknown): TermResult<string> {
  if (typeof input !== 'string')
    return { ok: false, message: 'expected a MAC address as text, like 02:00:00:aa:bb:cc' };
  if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(input.trim())) {
    return { ok: false, message: `"${input}" is not a MAC address like 02:00:00:aa:bb:cc` };
  }
  return { ok: true, value: input.trim().toLowerCase().replaceAll('-', ':') };
}

/** Lowest and highest address a parsed term covers (`a`, `a/len` or `a-b`), as numbers. */
export function addressBounds(term: AddressTerm): readonly [bigint, bigint] {
  const toNumber = term.family === 'ipv4' ? ipv4ToNumber : ipv6ToNumber;
  const bits = term.family === 'ipv4' ? 32 : 128;
  const slash = term.nft.indexOf('/');
  if (slash >= 0) {
    const low = toNumber(term.nft.slice(0, slash));
    const hostBits = BigInt(bits - Number(term.nft.slice(slash + 1)));
    return [low, low | ((1n << hostBits) - 1n)];
  }
  const dash = term.nft.indexOf('-');
  if (dash >= 0) return [toNumber(term.nft.slice(0, dash)), toNumber(term.nft.slice(dash + 1))];
  const value = toNumber(term.nft);
  return [value, value];
}

/** The address with this number, as nft reads it (IPv6 in full, uncompressed form). */
export function addressFromNumber(value: bigint, family: Family): string {
  if (family === 'ipv4') return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups: string[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(((value >> shift) & 0xffffn).toString(16));
  return groups.join(':');
}

/**
 * The values of an interval set with overlapping ones joined into one range, so that the set needs
 * no `auto-merge`: with it, nft reads sets back from the kernel, and a table of thousands of sets
 * then takes many seconds to load and to list. Values that overlap nothing stay as written.
 */
export function disjointTerms(type: 'ipv4_addr' | 'ipv6_addr' | 'inet_service', terms: readonly string[]): string[] {
  const spans = terms.flatMap((term) => {
    if (type === 'inet_service') {
      const [low = '0', high = low] = term.split('-');
      return [{ term, low: BigInt(low), high: BigInt(high) }];
    }
    const parsed = parseAddressTerm(term);
    if (!parsed.ok) return [];
    const [low, high] = addressBounds(parsed.value);
    return [{ term: parsed.value.nft, low, high }];
  });
  spans.sort((a, b) => (a.low < b.low ? -1 : a.low > b.low ? 1 : 0));
  const merged: { term: string; low: bigint; high: bigint }[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (!last || span.low > last.high) merged.push({ ...span });
    else if (span.high > last.high) {
      // Overlaps and reaches further: the two become one range. One inside the other just goes.
      last.high = span.high;
      last.term = '';
    }
  }
  const family = type === 'ipv4_addr' ? 'ipv4' : 'ipv6';
  const text = (n: bigint) => (type === 'inet_service' ? String(n) : addressFromNumber(n, family));
  return merged.map((m) => m.term || (m.low === m.high ? text(m.low) : `${text(m.low)}-${text(m.high)}`));
}
