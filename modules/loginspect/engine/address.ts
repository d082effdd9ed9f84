/** IPv4/IPv6 addresses and networks for `<srcip>`/`<dstip>` and address CDB lookups. */

export interface Network {
  readonly v6: boolean;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (g.includes('.')) {
        const v4 = parseV4(g);
        if (!v4) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(Number.parseInt(g, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

export function parseAddress(text: string): Uint8Array | undefined {
  const t = text.trim();
  return parseV4(t) ?? parseV6(t);
}

export function parseNetwork(text: string): Network | undefined {
  const [addr, bits] = text.trim().split('/');
  const bytes = parseAddress(addr ?? '');
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  let prefix = max;
  if (bits !== undefined) {
    if (/^\d+$/.test(bits)) prefix = Number(bits);
    else {
      // OSSEC also accepts a dotted netmask.
      const mask = parseV4(bits);
      if (!mask) return undefined;
      prefix = [...mask].reduce((n, b) => n + b.toString(2).replace(/0/g, '').length, 0);
    }
  }
  if (prefix > max) return undefined;
  return { v6: bytes.length === 16, bytes, prefix };
}

export function networkContains(net: Network, address: Uint8Array): boolean {
  if ((address.length === 16) !== net.v6) return false;
  let bits = net.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[i] as number) & mask) !== ((net.bytes[i] as number) & mask)) return false;
  }
  return true;
}

/**
 * OSSEC's OS_IPFoundList: the first entry containing the address decides; a negated entry seen
 * up to there makes the answer false, and no entry containing it answers the opposite.
 */
export function inAddressList(
  addr: NonNullable<ReturnType<typeof parseAddress>>,
  list: readonly { net: NonNullable<ReturnType<typeof parseNetwork>>; negated: boolean }[],
): boolean {
  let answer = true;
  for (const entry of list) {
    if (entry.negated) answer = false;
    if (networkContains(entry.net, addr)) return answer;
  }
  return !answer;
}
