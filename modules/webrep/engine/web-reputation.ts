import { type ImportedEntry, parseReputationFeed } from './list-importers.js';
import { TargetIndex, type TargetMatch } from './target-index.js';
import { describeTarget, parseTarget, type TargetPattern } from './target-pattern.js';
import { SECURITY_LEVEL_THRESHOLDS, type WebrepConfiguration } from './webrep-configuration.js';

/** What a connection is going to, as far as the traffic shows it. */
export interface WebTarget {
  /** Normalised host (HTTP Host header, TLS SNI); absent for a bare address. */
  readonly host?: string;
  /** `host/path` of an HTTP request (no scheme, no query). */
  readonly url?: string;
  readonly address?: { readonly family: 4 | 6; readonly bytes: Uint8Array };
}

/** Which list or feed decided, for the event. */
export type VerdictSource = 'allow-list' | 'block-list' | 'reputation' | 'unrated';

export interface Verdict {
  readonly action: 'pass' | 'block';
  readonly source: VerdictSource;
  /** Why, in words for the event and the block page. */
  readonly reason: string;
  /** The entry that matched, as written (canonical form). */
  readonly entry?: string;
  readonly risk?: number;
  readonly category?: string;
  /** The reputation data version, when it decided. */
  readonly feedVersion?: number;
}

export interface Rating {
  readonly risk?: number;
  readonly category?: string;
}

/** Entries that could not be compiled: named and counted in the module status, never skipped silently. */
export interface RefusedEntry {
  readonly list: 'allow' | 'block' | 'reputation';
  readonly entry: string;
  readonly reason: string;
}

export interface CompiledReputation {
  readonly version: number;
  readonly index: TargetIndex<Rating>;
}

/** Compiles reputation data (the package content) once; reused across configurations. */
export function compileReputation(
  version: number,
  text: string,
): { data: CompiledReputation; errors: number; firstErrors: string[] } {
  const parsed = parseReputationFeed(text);
  const index = new TargetIndex<Rating>(parsed.entries.length);
  for (const e of parsed.entries) index.add(e.pattern, ratingOf(e));
  return {
    data: { version, index },
    errors: parsed.errorCount,
    firstErrors: parsed.errors.slice(0, 5).map((e) => `line ${e.line}: ${e.message}`),
  };
}

function ratingOf(e: ImportedEntry): Rating {
  return {
    ...(e.risk === undefined ? {} : { risk: e.risk }),
    ...(e.category === undefined ? {} : { category: e.category }),
  };
}

/**
 * The decision of web reputation, in order: the allow list (pass), the block list (block), then
 * the reputation data — a blocked category or a risk at or above the security level's threshold
 * blocks; a target the data does not rate is blocked only with "block pages that have not been
 * rated". Within each list the most specific entry decides (URL over host over address).
 */
export class WebReputation {
  readonly #allow = new TargetIndex<string>();
  readonly #block = new TargetIndex<string>();
  readonly #reputation: CompiledReputation | null;
  readonly #threshold: number;
  readonly #blockUnrated: boolean;
  readonly #blockedCategories: ReadonlySet<string>;
  readonly refused: readonly RefusedEntry[];

  constructor(configuration: WebrepConfiguration, reputation: CompiledReputation | null) {
    const refused: RefusedEntry[] = [];
    for (const [list, entries, index] of [
      ['allow', configuration.allow, this.#allow],
      ['block', configuration.block, this.#block],
    ] as const) {
      for (const entry of entries) {
        const parsed = parseTarget(entry);
        if (parsed.ok) index.add(parsed.value, describeTarget(parsed.value));
        else refused.push({ list, entry, reason: parsed.error });
      }
    }
    this.refused = refused;
    this.#reputation = reputation;
    this.#threshold = SECURITY_LEVEL_THRESHOLDS[configuration.securityLevel];
    this.#blockUnrated = configuration.blockUnrated;
    this.#blockedCategories = new Set(configuration.blockedCategories.map((c) => c.toLowerCase()));
  }

  decide(target: WebTarget): Verdict {
    const allowed = find(this.#allow, target);
    if (allowed)
      return {
        action: 'pass',
        source: 'allow-list',
        reason: `on the allow list (${allowed.record})`,
        entry: allowed.record,
      };
    const blocked = find(this.#block, target);
    if (blocked)
      return {
        action: 'block',
        source: 'block-list',
        reason: `on the block list (${blocked.record})`,
        entry: blocked.record,
      };
    const rated = this.#reputation === null ? undefined : find(this.#reputation.index, target);
    if (rated === undefined) return this.#blockUnrated ? BLOCK_UNRATED : PASS_UNRATED;
    const { category, risk } = rated.record;
    // A blocked category is named first, as the reason that holds whatever the security level.
    const why =
      category !== undefined && this.#blockedCategories.has(category)
        ? 'category'
        : risk !== undefined && risk >= this.#threshold
          ? 'risk'
          : undefined;
    return new RatedVerdict(why, rated, this.#threshold, this.#reputation!.version);
  }
}

const BLOCK_UNRATED: Verdict = {
  action: 'block',
  source: 'unrated',
  reason: 'not rated, and pages that have not been rated are blocked',
};
const PASS_UNRATED: Verdict = { action: 'pass', source: 'unrated', reason: 'not rated' };

/**
 * A verdict of the reputation data. The words (`entry`, `reason`) are made only when asked for:
 * most connections pass, and a lookup among a million entries must not pay for a sentence.
 */
class RatedVerdict implements Verdict {
  readonly source = 'reputation';
  readonly action: 'pass' | 'block';
  readonly risk?: number;
  readonly category?: string;
  readonly feedVersion: number;
  readonly #why: 'category' | 'risk' | undefined;
  readonly #pattern: TargetPattern;
  readonly #threshold: number;

  constructor(
    why: 'category' | 'risk' | undefined,
    match: TargetMatch<Rating>,
    threshold: number,
    feedVersion: number,
  ) {
    this.action = why === undefined ? 'pass' : 'block';
    this.#why = why;
    this.#pattern = match.pattern;
    this.#threshold = threshold;
    this.feedVersion = feedVersion;
    if (match.record.risk !== undefined) this.risk = match.record.risk;
    if (match.record.category !== undefined) this.category = match.record.category;
  }

  get entry(): string {
    return describeTarget(this.#pattern);
  }

  get reason(): string {
    if (this.#why === 'category') return `category "${this.category}" is blocked`;
    if (this.#why === 'risk')
      return `risk ${this.risk} is at or above ${this.#threshold}, the security level's threshold`;
    return `rated risk ${this.risk ?? 'none'}`;
  }
}

function find<R>(index: TargetIndex<R>, target: WebTarget): TargetMatch<R> | undefined {
  if (index.size === 0) return undefined;
  return (
    (target.url === undefined ? undefined : index.matchUrl(target.url)) ??
    (target.host === undefined ? undefined : index.matchHost(target.host)) ??
    (target.address === undefined ? undefined : index.matchAddress(target.address.family, target.address.bytes))
  );
}

export type { TargetPattern };
