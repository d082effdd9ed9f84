import { mixHash, STRING_TABLE_SEED, StringTable } from './string-table.js';
import { masked, type TargetPattern } from './target-pattern.js';

/** What the match methods return when no entry matches. */
export const NO_ENTRY = -1;

const SLASH = 0x2f;
const DOT = 0x2e;

/**
 * Entries of one list (or of the reputation data) compiled for lookup: host names and their
 * subdomain wildcards in one table hashed from the right, URLs and URL prefixes in tables hashed
 * from the left (string-table.ts), addresses and networks per prefix length. Each lookup walks
 * the looked-up string once; the most specific entry wins (exact host over the longest suffix,
 * exact URL over the longest prefix, the longest network). A match is the entry's number, whose
 * record and pattern are read only when wanted (`recordAt`, `patternAt`): no object per lookup.
 */
export class TargetIndex<R> {
  readonly #records: R[] = [];
  readonly #patterns: TargetPattern[] = [];
  readonly #hosts: StringTable;
  readonly #urls: StringTable;
  readonly #urlPrefixes: StringTable;
  /** prefix length → masked address (v4 as a number, v6 as a string of bytes) → record. */
  readonly #v4 = new Map<number, Map<number, number>>();
  readonly #v6 = new Map<number, Map<string, number>>();
  #v4Lengths: number[] = [];
  #v6Lengths: number[] = [];

  constructor(expectedEntries = 16) {
    this.#hosts = new StringTable(true, expectedEntries);
    this.#urls = new StringTable(false, 16);
    this.#urlPrefixes = new StringTable(false, 16);
  }

  get size(): number {
    return this.#records.length;
  }

  recordAt(entry: number): R {
    return this.#records[entry]!;
  }

  /** The entry as it was written. */
  patternAt(entry: number): TargetPattern {
    return this.#patterns[entry]!;
  }

  /** Bytes of the lookup tables (records and patterns not counted). */
  get tableBytes(): number {
    return this.#hosts.bytes + this.#urls.bytes + this.#urlPrefixes.bytes;
  }

  add(pattern: TargetPattern, record: R): void {
    const index = this.#records.length;
    this.#records.push(record);
    this.#patterns.push(pattern);
    switch (pattern.kind) {
      case 'host':
        this.#hosts.set(pattern.host, index);
        return;
      case 'subdomains':
        this.#hosts.set(`.${pattern.host}`, index);
        if (pattern.includeSelf) this.#hosts.set(pattern.host, index);
        return;
      case 'url':
        (pattern.prefix ? this.#urlPrefixes : this.#urls).set(pattern.key, index);
        return;
      case 'address':
      case 'network': {
        const bits = pattern.kind === 'address' ? pattern.bytes.length * 8 : pattern.bits;
        if (pattern.family === 4) {
          const table = this.#v4.get(bits) ?? new Map<number, number>();
          table.set(v4Key(pattern.bytes), index);
          this.#v4.set(bits, table);
          this.#v4Lengths = [...this.#v4.keys()].sort((a, b) => b - a);
        } else {
          const table = this.#v6.get(bits) ?? new Map<string, number>();
          table.set(v6Key(pattern.bytes), index);
          this.#v6.set(bits, table);
          this.#v6Lengths = [...this.#v6.keys()].sort((a, b) => b - a);
        }
        return;
      }
    }
  }

  /** `host` as normalised (lower case, no trailing dot). */
  matchHost(host: string): number {
    if (this.#hosts.size === 0) return NO_ENTRY;
    let found = -1;
    let h = STRING_TABLE_SEED;
    for (let i = host.length - 1; i >= 0; i--) {
      const c = host.charCodeAt(i);
      h = mixHash(h, c);
      if (c === DOT) {
        const v = this.#hosts.probe(host, i, host.length, h);
        if (v >= 0) found = v;
      }
    }
    const exact = this.#hosts.probe(host, 0, host.length, h);
    return exact >= 0 ? exact : found;
  }

  /** `url` as `host/path` (no scheme, no query), host normalised. */
  matchUrl(url: string): number {
    if (this.#urls.size === 0 && this.#urlPrefixes.size === 0) return NO_ENTRY;
    let found = -1;
    if (this.#urlPrefixes.size > 0) {
      let h = STRING_TABLE_SEED;
      for (let i = 0; i < url.length; i++) {
        const c = url.charCodeAt(i);
        h = mixHash(h, c);
        if (c === SLASH) {
          const v = this.#urlPrefixes.probe(url, 0, i + 1, h);
          if (v >= 0) found = v;
        }
      }
    }
    const exact = this.#urls.size === 0 ? NO_ENTRY : this.#urls.get(url);
    return exact >= 0 ? exact : found;
  }

  matchAddress(family: 4 | 6, bytes: Uint8Array): number {
    if (family === 4) {
      const whole = v4Key(bytes);
      for (const bits of this.#v4Lengths) {
        const key = bits === 0 ? 0 : whole & (0xffffffff << (32 - bits));
        const v = this.#v4.get(bits)!.get(key);
        if (v !== undefined) return v;
      }
      return NO_ENTRY;
    }
    for (const bits of this.#v6Lengths) {
      const v = this.#v6.get(bits)!.get(v6Key(masked(bytes, bits)));
      if (v !== undefined) return v;
    }
    return NO_ENTRY;
  }

  /** The most specific entry for `target`: its URL, else its host, else its address. */
  match(target: {
    readonly host?: string;
    readonly url?: string;
    readonly address?: { readonly family: 4 | 6; readonly bytes: Uint8Array };
  }): number {
    if (this.#records.length === 0) return NO_ENTRY;
    let entry = target.url === undefined ? NO_ENTRY : this.matchUrl(target.url);
    if (entry === NO_ENTRY && target.host !== undefined) entry = this.matchHost(target.host);
    if (entry === NO_ENTRY && target.address !== undefined)
      entry = this.matchAddress(target.address.family, target.address.bytes);
    return entry;
  }
}

/** The address as a signed 32-bit integer: a small integer to V8, where an unsigned one above 2^30 may be a boxed number. */
function v4Key(bytes: Uint8Array): number {
  return (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
}

function v6Key(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}
