/**
 * Checks written in code rather than in the rule language: HTTP request limits (the rule the
 * false-positive workflow is about, with parameters an administrator overrides per assignment)
 * and counts over time that span flows (rates, Suricata's threshold and detection_filter).
 *
 * Counts that span flows live in bounded tables owned by one inspector instance (the contract's
 * per-flow state cannot hold them). A full table forgets its oldest entry and counts that, so a
 * flood of sources costs bounded memory and the loss is visible.
 */
import type { HttpRequestFacts, InspectionBufferName } from '@bulwark/traffic/engine';
import type { HttpLimits, RateLimit } from './compiled-rule.js';
import type { Threshold } from './suricata-rule.js';

export interface NativeHit {
  readonly buffer: InspectionBufferName;
  readonly evidence: string;
}

function excerpt(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** The first limit the request exceeds, or undefined. */
export function checkHttpLimits(http: HttpRequestFacts, limits: HttpLimits): NativeHit | undefined {
  if (http.rawTarget.length > limits.maxUriLength) {
    return {
      buffer: 'http.uri.raw',
      evidence: `URI length ${http.rawTarget.length} exceeds ${limits.maxUriLength}: ${excerpt(http.rawTarget)}`,
    };
  }
  const depth = http.normalisedPath.split('/').filter((s) => s !== '').length;
  if (depth > limits.maxPathDepth) {
    return {
      buffer: 'http.uri',
      evidence: `path depth ${depth} exceeds ${limits.maxPathDepth}: ${excerpt(http.normalisedPath)}`,
    };
  }
  if (http.parameters.length > limits.maxParameters) {
    return { buffer: 'http.uri', evidence: `${http.parameters.length} parameters exceed ${limits.maxParameters}` };
  }
  for (const [name, value] of http.parameters) {
    if (value.length > limits.maxParameterLength || name.length > limits.maxParameterLength) {
      const length = Math.max(value.length, name.length);
      return {
        buffer: 'http.uri',
        evidence: `parameter "${excerpt(name, 40)}" length ${length} exceeds ${limits.maxParameterLength}`,
      };
    }
  }
  return undefined;
}

/** A map that keeps at most `capacity` keys, forgetting the oldest inserted first. */
export class BoundedTable<V> {
  readonly #entries = new Map<string, V>();
  readonly #capacity: number;
  evicted = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: V): void {
    if (!this.#entries.has(key) && this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
      this.evicted++;
    }
    this.#entries.set(key, value);
  }
}

/** Default size of each cross-flow table (sources tracked per rule kind). */
export const CROSS_FLOW_TABLE_SIZE = 65_536;

/** New flows per source over a sliding window (rate rules: SSH brute force). */
export class RateTracker {
  readonly table = new BoundedTable<number[]>(CROSS_FLOW_TABLE_SIZE);

  /** Records one new flow; true when the source now has more than `count` in the window. */
  record(ruleIndex: number, source: string, timeMs: number, rate: RateLimit): boolean {
    const key = `${ruleIndex}|${source}`;
    const since = timeMs - rate.windowSeconds * 1000;
    const times = (this.table.get(key) ?? []).filter((t) => t > since);
    times.push(timeMs);
    // Only the newest count+1 matter to the answer: memory per source stays bounded.
    if (times.length > rate.count + 1) times.splice(0, times.length - rate.count - 1);
    this.table.set(key, times);
    return times.length > rate.count;
  }
}

/** Suricata's threshold (limit, threshold, both) and detection_filter, per tracked key. */
export class ThresholdTracker {
  readonly table = new BoundedTable<{ start: number; count: number }>(CROSS_FLOW_TABLE_SIZE);

  /** Records one match; true when the rule should report it. */
  record(ruleIndex: number, t: Threshold, key: string, timeMs: number): boolean {
    const k = `${ruleIndex}|${t.type}|${key}`;
    let entry = this.table.get(k);
    if (entry === undefined || timeMs - entry.start >= t.seconds * 1000) entry = { start: timeMs, count: 0 };
    entry.count++;
    this.table.set(k, entry);
    switch (t.type) {
      case 'limit':
        return entry.count <= t.count;
      case 'threshold':
        if (entry.count >= t.count) {
          this.table.set(k, { start: timeMs, count: 0 });
          return true;
        }
        return false;
      case 'both':
        return entry.count === t.count;
      case 'detection_filter':
        return entry.count > t.count;
    }
  }
}
