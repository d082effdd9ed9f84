import { Accumulator } from './accumulator.js';
import type { ClockParts } from './calendar.js';
import { CorrelationMemory } from './correlation.js';
import { decodeEvent, ProgramCandidates } from './decode.js';
import { type AdmissionTable, DecoderAdmission } from './decoder-admission.js';
import { fieldValue, type LogEvent } from './event.js';
import { FirstTimeSeen } from './first-time-seen.js';
import { IgnoreList } from './ignore-list.js';
import { type LiteralFilter, LiteralHits } from './literal-scanner.js';
import { lower } from './pattern.js';
import type { Rule } from './rule.js';
import type { Ruleset } from './ruleset.js';
import { preDecode } from './syslog-header.js';

export interface EngineOptions {
  /** Offset of the host's local time from UTC, for `<time>` and `<weekday>`. Default 0. */
  readonly utcOffsetMinutes?: number;
  /** Longer lines are cut to this many characters, as OSSEC cuts at OS_MAXSTR. Default 65,536. */
  readonly maxLineLength?: number;
  /** Bound on events a frequency rule remembers per value of its same_* fields. Default 10,000. */
  readonly maxEntriesPerKey?: number;
  /** Bound on distinct same_* values a frequency rule remembers (least recently used go). Default 10,000. */
  readonly maxCorrelationBuckets?: number;
  /** The first-time-seen entries saved by an earlier engine (FirstTimeSeen.entries()). */
  readonly firstTimeSeen?: Iterable<string>;
  /** The ignore list saved by an earlier engine (IgnoreList.entries()). */
  readonly ignoreList?: Iterable<string>;
}

export interface LogInput {
  readonly line: string;
  /** Where the line came from: a file path, "journald", "stdin". */
  readonly location: string;
  /** Event time, milliseconds since the epoch; the engine has no clock of its own. */
  readonly time: number;
}

export interface Verdict {
  readonly event: LogEvent;
  /** Name of the decoder that matched, as OSSEC reports it, or undefined. */
  readonly decoder: string | undefined;
  /** The rule that matched (level 0 included), or undefined. */
  readonly rule: Rule | undefined;
  /** Whether this is an alert: a rule matched with level > 0. */
  readonly alert: boolean;
}

const DEFAULT_MAX_LINE = 65_536;
const MINUTES_PER_DAY = 1440;
/** Sibling lists shorter than this are walked as they are. */
const PROGRAM_FILTER_MIN = 8;
const MAX_PROGRAMS_REMEMBERED = 4096;

/**
 * The log inspection engine: pre-decodes, decodes and runs the rule tree over one line at a time.
 * Holds correlation memory (frequency rules) and `ignore` windows; nothing else. One instance per
 * independent stream of events (a host, or one conformance case).
 */
export class LogInspectionEngine {
  readonly ruleset: Ruleset;
  readonly #memory: CorrelationMemory;
  readonly #ignoredUntil = new Map<number, number>();
  readonly #utcOffset: number;
  readonly #maxLine: number;
  readonly #programs = new ProgramCandidates();
  readonly #admission = new DecoderAdmission();
  /** The admission table of the current event's decoder. */
  #admitted: AdmissionTable = this.#admission.tableFor(undefined);
  readonly #hits: LiteralHits;
  readonly #readersOf = new Map<Rule, readonly (readonly Rule[])[]>();
  readonly #programChildren = new Map<readonly Rule[], Map<string | undefined, readonly Rule[]> | null>();
  #clock: ClockParts = { minuteOfDay: 0, weekday: 0 };
  readonly #descriptionParts = new Map<Rule, string[]>();
  /** `<if_fts/>` state, for the caller to save and pass to the next engine. */
  readonly firstTimeSeen: FirstTimeSeen;
  readonly #accumulator = new Accumulator();
  /** The ignore list (`<ignore>`, `<check_if_ignored>`), for the caller to save and pass on the same way. */
  readonly ignoreList: IgnoreList;

  constructor(ruleset: Ruleset, options: EngineOptions = {}) {
    this.ruleset = ruleset;
    this.#memory = new CorrelationMemory(options.maxEntriesPerKey ?? 10_000, options.maxCorrelationBuckets ?? 10_000);
    this.#utcOffset = options.utcOffsetMinutes ?? 0;
    this.#maxLine = options.maxLineLength ?? DEFAULT_MAX_LINE;
    this.#hits = new LiteralHits(ruleset.literalScanner.size);
    this.firstTimeSeen = new FirstTimeSeen(options.firstTimeSeen);
    this.ignoreList = new IgnoreList(options.ignoreList);
  }

  correlationSize(): number {
    return this.#memory.size();
  }

  process(input: LogInput): Verdict {
    const line = input.line.length > this.#maxLine ? input.line.slice(0, this.#maxLine) : input.line;
    const header = preDecode(line);
    const event: LogEvent = {
      fullLog: line,
      log: header.log,
      location: input.location,
      hostname: header.hostname,
      programName: header.programName,
      time: input.time,
      decoder: undefined,
      fields: new Map(),
    };
    this.ruleset.literalScanner.scan(event.log, this.#hits, lower);
    decodeEvent(event, this.ruleset.decoderIndex, this.#programs, this.#hits);
    if (event.decoder?.accumulate) this.#accumulator.apply(event);
    const minutes = Math.floor(input.time / 60_000) + this.#utcOffset;
    const day = Math.floor(minutes / MINUTES_PER_DAY);
    this.#clock = { minuteOfDay: minutes - day * MINUTES_PER_DAY, weekday: (((day + 4) % 7) + 7) % 7 };

    let matched: Rule | undefined;
    this.#admitted = this.#admission.tableFor(event.decoder);
    const tops = this.#admitted.admitted(this.ruleset.topRules);
    for (let i = 0; i < tops.length; i++) {
      matched = this.#evaluate(tops[i] as Rule, event);
      if (matched) break;
    }
    const decoder = event.decoder?.reportedName;
    if (!matched) return { event, decoder, rule: undefined, alert: false };
    if (matched.level === 0) return { event, decoder, rule: matched, alert: false };
    if (matched.ignoreSeconds > 0) {
      const until = this.#ignoredUntil.get(matched.id);
      if (until !== undefined && input.time < until) return { event, decoder, rule: undefined, alert: false };
      this.#ignoredUntil.set(matched.id, input.time + matched.ignoreSeconds * 1000);
    }
    // OSSEC (analysisd.c): after the ignore time, the ignore list, then the rule's own additions.
    if (matched.checkIgnoredFields && this.ignoreList.ignores(event, matched.checkIgnoredFields))
      return { event, decoder, rule: undefined, alert: false };
    if (matched.ignoreFields) this.ignoreList.ignore(event, matched.ignoreFields);
    this.#remember(matched, event);
    return { event, decoder, rule: matched, alert: true };
  }

  /** The rule's description with `$(field)` replaced by the event's values. */
  describe(verdict: Verdict): string {
    const rule = verdict.rule;
    if (!rule) return '';
    if (!rule.description.includes('$(')) return rule.description;
    // The description split once per rule (texts at even indexes, field names at odd ones): the
    // agent describes every alert, and replace() with a callback cost more than the rest of it.
    let parts = this.#descriptionParts.get(rule);
    if (parts === undefined) {
      parts = rule.description.split(/\$\(([^)]+)\)/);
      for (let i = 1; i < parts.length; i += 2) parts[i] = (parts[i] as string).toLowerCase();
      this.#descriptionParts.set(rule, parts);
    }
    let out = parts[0] as string;
    for (let i = 1; i < parts.length; i += 2)
      out += (fieldValue(verdict.event, parts[i] as string) ?? '') + (parts[i + 1] as string);
    return out;
  }

  #remember(rule: Rule, event: LogEvent): void {
    const readers = this.ruleset.correlationReaders;
    if (readers.size === 0) return;
    // The reader lists depend on the rule alone; built once instead of one key string per group per alert.
    let lists = this.#readersOf.get(rule);
    if (lists === undefined) {
      const found: (readonly Rule[])[] = [];
      const bySid = readers.get(`sid:${rule.id}`);
      if (bySid) found.push(bySid);
      for (const g of rule.groups) {
        const byGroup = readers.get(`group:${g}`);
        if (byGroup) found.push(byGroup);
      }
      lists = found;
      this.#readersOf.set(rule, lists);
    }
    for (let i = 0; i < lists.length; i++) this.#memory.record(lists[i] as readonly Rule[], event);
  }

  /**
   * The siblings whose `<program_name>` checks accept `program`, in order: many generic children
   * of the templates (kernel, cron, dovecot...) differ only by program name, and every syslog line
   * met them all. Skipping the others changes nothing, since those checks would fail and a rule
   * has no effect before its checks pass. Memoised per list and program, bounded.
   */
  #forProgram(list: readonly Rule[], program: string | undefined): readonly Rule[] {
    let byProgram = this.#programChildren.get(list);
    if (byProgram === undefined) {
      if (!list.some((r) => r.programNameChecks.length > 0)) {
        this.#programChildren.set(list, null);
        return list;
      }
      byProgram = new Map();
      this.#programChildren.set(list, byProgram);
    } else if (byProgram === null) return list;
    let found = byProgram.get(program);
    if (found === undefined) {
      const probe: LogEvent = {
        fullLog: '',
        log: '',
        location: '',
        hostname: undefined,
        programName: program,
        time: 0,
        decoder: undefined,
        fields: new Map(),
      };
      found = list.filter((r) => r.programNameChecks.every((check) => check(probe, this.#clock)));
      if (byProgram.size >= MAX_PROGRAMS_REMEMBERED) byProgram.clear();
      byProgram.set(program, found);
    }
    return found;
  }

  #evaluate(rule: Rule, event: LogEvent): Rule | undefined {
    const filters = rule.logFilters;
    if (filters !== undefined)
      for (let i = 0; i < filters.length; i++) if (!this.#hits.passes(filters[i] as LiteralFilter)) return undefined;
    const checks = rule.checks;
    for (let i = 0; i < checks.length; i++)
      if (!(checks[i] as Rule['checks'][number])(event, this.#clock)) return undefined;
    if (rule.firstTimeSeen && !this.firstTimeSeen.firstTime(event)) return undefined;
    if (rule.frequency > 0 || rule.ifMatchedSid !== undefined || rule.ifMatchedGroup !== undefined) {
      // A frequency rule without if_matched_* counts the events that reached it.
      if (rule.ifMatchedSid === undefined && rule.ifMatchedGroup === undefined) this.#memory.record([rule], event);
      if (!this.#memory.reached(rule, event)) return undefined;
    }
    const all = this.#admitted.admitted(rule.children);
    const children = all.length >= PROGRAM_FILTER_MIN ? this.#forProgram(all, event.programName) : all;
    const hits = this.#hits;
    for (let i = 0; i < children.length; i++) {
      const child = children[i] as Rule;
      // Most children are ruled out by their texts; the gate says so without visiting them.
      const gate = child.literalGate;
      if (gate >= 0 && !hits.has(gate)) continue;
      const hit = this.#evaluate(child, event);
      if (hit) return hit;
    }
    // OSSEC: a noalert rule (the category templates, grouping rules) matches only through a child.
    return rule.noalert ? undefined : rule;
  }
}
