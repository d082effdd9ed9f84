/**
 * The in-process half of bench:webrep: import rate of generated lists and the cost of one
 * decision with a million entries of reputation data loaded (as the agent compiles the update
 * package), each against a named peer measured in the same run:
 * - import: the importers vs splitting the same text into lines and putting each name in a Set
 *   (the least any importer must do);
 * - lookup: WebReputation.decide on a mix of targets vs Map.get of the same host strings in a
 *   Map holding the same million keys (one hash lookup, no walk, no URL or address).
 *
 * Each timed round gets new string objects, flat as a decoded packet gives them: on the agent
 * every Host header and SNI is a new string, and V8 keeps a string's hash in the string, so a
 * Map looked up with the same objects round after round hashes them only once. That figure is
 * reported too (`nsPerMapGetSameStrings`), as the floor no lookup by string can go below.
 */
import { performance } from 'node:perf_hooks';
import {
  compileReputation,
  importList,
  NO_ENTRY,
  WebReputation,
  type WebTarget,
} from '../../modules/webrep/engine/index.js';

export const FEED_ENTRIES = 1_000_000;

/** The reputation feed (CSV, as the update package holds it): hosts, wildcards, URL prefixes, networks. */
export function generatedFeed(n = FEED_ENTRIES): string {
  const lines = ['target,risk,category'];
  for (let i = 0; i < n; i++) {
    const kind = i % 10;
    const risk = (i * 37) % 101;
    if (kind < 7) lines.push(`site${i}.example${i % 97}.test,${risk},cat${i % 40}`);
    else if (kind === 7) lines.push(`*.cdn${i}.test,${risk},cdn`);
    else if (kind === 8) lines.push(`files${i}.test/dl/${i}/,${risk},downloads`);
    else lines.push(`${10 + ((i >> 16) & 0x3f)}.${(i >> 8) & 0xff}.${i & 0xff}.0/24,${risk},hosting`);
  }
  return `${lines.join('\n')}\n`;
}

/** The same kinds of target the traffic shows: hits and misses, deep subdomains, URLs, addresses. */
function queries(n: number): { targets: WebTarget[]; hosts: string[] } {
  const targets: WebTarget[] = [];
  const hosts: string[] = [];
  for (let q = 0; q < n; q++) {
    const i = (q * 7919) % FEED_ENTRIES;
    const base = i - (i % 10);
    let t: WebTarget;
    switch (q % 6) {
      case 0: // exact host, hit
        t = { host: `site${base}.example${base % 97}.test` };
        break;
      case 1: // host, miss (walks every parent to the root)
        t = { host: `www.nosuch${i}.example${i % 97}.test` };
        break;
      case 2: // deep subdomain under a wildcard
        t = { host: `a.b.c.cdn${base + 7}.test` };
        break;
      case 3: // URL under a prefix
        t = { host: `files${base + 8}.test`, url: `files${base + 8}.test/dl/${base + 8}/sub/tool.exe` };
        break;
      case 4: // address inside a listed network, with a host that misses
        t = {
          host: `api${i}.miss.test`,
          address: {
            family: 4,
            bytes: Uint8Array.from([10 + (((base + 9) >> 16) & 0x3f), ((base + 9) >> 8) & 0xff, (base + 9) & 0xff, 7]),
          },
        };
        break;
      default: // address, miss
        t = { address: { family: 4, bytes: Uint8Array.from([192, 0, 2, q & 0xff]) } };
    }
    targets.push(t);
    hosts.push(t.host ?? `192.0.2.${q & 0xff}`);
  }
  return { targets, hosts };
}

/** A new flat string with the same characters, as decoding a packet makes one. */
const fresh = (text: string): string => Buffer.from(text, 'latin1').toString('latin1');

function freshTargets(targets: readonly WebTarget[]): WebTarget[] {
  return targets.map((t) => ({
    ...(t.host === undefined ? {} : { host: fresh(t.host) }),
    ...(t.url === undefined ? {} : { url: fresh(t.url) }),
    ...(t.address === undefined ? {} : { address: t.address }),
  }));
}

function timeIt(run: () => void): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

export interface LookupFigures {
  readonly importRates: Record<string, { perSecond: number; peerPerSecond: number }>;
  readonly compileSeconds: number;
  readonly compiledEntries: number;
  readonly heapMiB: number;
  readonly nsPerDecision: number;
  /** The index walk alone (URL, host, address tables), without building the verdict. */
  readonly nsPerIndexLookup: number;
  readonly nsPerMapGet: number;
  /** Map.get with the same string objects every round (their hashes cached after the first). */
  readonly nsPerMapGetSameStrings: number;
  readonly blocked: number;
  readonly queries: number;
}

export function measureLookups(): LookupFigures {
  const importRates: LookupFigures['importRates'] = {};
  const n = 200_000;
  const samples: Record<string, string> = {
    hosts: Array.from({ length: n }, (_, i) =>
      i % 50 === 0 ? '# comment' : `0.0.0.0 ad${i}.tracker${i % 89}.test`,
    ).join('\n'),
    plain: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? `*.bad${i}.test` : `host${i}.list.test`)).join('\n'),
    urls: Array.from({ length: n }, (_, i) => `http://files${i}.test/dl/${i}/payload.exe`).join('\n'),
  };
  for (const [format, text] of Object.entries(samples)) {
    let entries = 0;
    const ms = timeIt(() => {
      entries = importList(text, format as 'hosts' | 'plain' | 'urls').entries.length;
    });
    const peerMs = timeIt(() => {
      const set = new Set<string>();
      for (const line of text.split('\n')) set.add(line.slice(line.lastIndexOf(' ') + 1));
    });
    importRates[format] = { perSecond: (entries / ms) * 1000, peerPerSecond: (n / peerMs) * 1000 };
  }

  const feed = generatedFeed();
  // With --expose-gc (the npm script passes it) the heap is measured after full collections;
  // without, garbage of the import half can make the difference anything, even negative.
  const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  let compiled: ReturnType<typeof compileReputation> | undefined;
  const compileMs = timeIt(() => {
    compiled = compileReputation(1, feed);
  });
  if (!compiled || compiled.errors > 0) throw new Error(`feed refused: ${compiled?.firstErrors.join('; ')}`);
  const decision = new WebReputation(
    {
      detectOnly: false,
      securityLevel: 'medium',
      blockUnrated: false,
      blockedCategories: ['cdn'],
      allow: [],
      block: [],
      reputation: { version: 1, sha256: '-' },
      httpPorts: [80],
      tlsPorts: [443],
      blockPage: true,
    },
    compiled.data,
  );
  collect();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  // The peer: the same million keys in a Map (hosts as they appear in the feed).
  const map = new Map<string, number>();
  for (const line of feed.split('\n')) map.set(line.slice(0, line.indexOf(',')), 1);

  const { targets, hosts } = queries(100_000);
  let blocked = 0;
  let found = 0;
  const rounds = 10;
  const decide = (targets: readonly WebTarget[]) => {
    for (const t of targets) if (decision.decide(t).action === 'block') blocked++;
  };
  const mapGet = (hosts: readonly string[]) => {
    for (const h of hosts) if (map.get(h) !== undefined) found++;
  };
  decide(targets);
  mapGet(hosts);
  blocked = 0;
  const index = compiled.data.index;
  const lookup = (targets: readonly WebTarget[]) => {
    for (const t of targets) if (index.match(t) !== NO_ENTRY) found++;
  };
  lookup(targets);
  const decideMs: number[] = [];
  const mapMs: number[] = [];
  const sameStringsMs: number[] = [];
  const lookupMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [forDecide, forLookup] = [freshTargets(targets), freshTargets(targets)];
    const forMap = hosts.map(fresh);
    lookupMs.push(timeIt(() => lookup(forLookup)));
    decideMs.push(timeIt(() => decide(forDecide)));
    mapMs.push(timeIt(() => mapGet(forMap)));
    sameStringsMs.push(timeIt(() => mapGet(hosts)));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  if (found < 0) console.log(found); // keeps the peer's loop from being optimised away
  return {
    importRates,
    compileSeconds: compileMs / 1000,
    compiledEntries: FEED_ENTRIES,
    heapMiB,
    nsPerDecision: (median(decideMs) * 1e6) / targets.length,
    nsPerIndexLookup: (median(lookupMs) * 1e6) / targets.length,
    nsPerMapGet: (median(mapMs) * 1e6) / hosts.length,
    nsPerMapGetSameStrings: (median(sameStringsMs) * 1e6) / hosts.length,
    blocked: blocked / rounds,
    queries: targets.length,
  };
}
