import type { CompiledReputation } from './compiled-reputation.js';
import { NO_ENTRY, TargetIndex } from './target-index.js';
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

/** Entries that could not be compiled: named and counted in the module status, never skipped silently. */
export interface RefusedEntry {
  readonly list: 'allow' | 'block' | 'reputation';
  readonly entry: string;
  readonly reason: string;
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
  /** By category number of the reputation data: 1 when blocked. */
  readonly #blockedCategories: Uint8Array;
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
    const blocked = new Set(configuration.blockedCategories.map((c) => c.toLowerCase()));
    this.#blockedCategories = reputation?.categoryFlags(blocked) ?? new Uint8Array(0);
  }

  decide(target: WebTarget): Verdict {
    const allowed = this.#allow.match(target);
    if (allowed !== NO_ENTRY) {
      const entry = this.#allow.recordAt(allowed);
      return { action: 'pass', source: 'allow-list', reason: `on the allow list (${entry})`, entry };
    }
    const blocked = this.#block.match(target);
    if (blocked !== NO_ENTRY) {
      const entry = this.#block.recordAt(blocked);
      return { action: 'block', source: 'block-list', reason: `on the block list (${entry})`, entry };
    }
    const reputation = this.#reputation;
    const rated = reputation === null ? NO_ENTRY : reputation.index.match(target);
    if (reputation === null || rated === NO_ENTRY) return this.#blockUnrated ? BLOCK_UNRATED : PASS_UNRATED;
    const category = reputation.categoryNumberOf(rated);
    const risk = reputation.riskOf(rated);
    // A blocked category is named first, as the reason that holds whatever the security level.
    const why =
      category >= 0 && this.#blockedCategories[category] === 1
        ? 'category'
        : risk !== undefined && risk >= this.#threshold
          ? 'risk'
          : undefined;
    return new RatedVerdict(why, reputation, rated, this.#threshold);
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
  readonly #reputation: CompiledReputation;
  readonly #entry: number;
  readonly #threshold: number;

  constructor(why: 'category' | 'risk' | undefined, reputation: CompiledReputation, entry: number, threshold: number) {
    this.action = why === undefined ? 'pass' : 'block';
    this.#why = why;
    this.#reputation = reputation;
    this.#entry = entry;
    this.#threshold = threshold;
    this.feedVersion = reputation.version;
    const risk = reputation.riskOf(entry);
    if (risk !== undefined) this.risk = risk;
    const category = reputation.categoryNumberOf(entry);
    if (category >= 0) this.category = reputation.categories[category];
  }

  get entry(): string {
    return describeTarget(this.#reputation.index.patternAt(this.#entry));
  }

  get reason(): string {
    if (this.#why === 'category') return `category "${this.category}" is blocked`;
    if (this.#why === 'risk')
      return `risk ${this.risk} is at or above ${this.#threshold}, the security level's threshold`;
    return `rated risk ${this.risk ?? 'none'}`;
  }
}

export type { TargetPattern };
