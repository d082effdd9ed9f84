import { inAddressList, parseAddress, parseNetwork } from './address.js';
import { type ClockParts, inTimeRange, parseTimeRange, parseWeekdays } from './calendar.js';
import { type CdbList, LIST_LOOKUPS, type ListLookup, listCheck } from './cdb-list.js';
import { canonicalField } from './decoder.js';
import { decodedFieldsRead, fieldValue, type LogEvent } from './event.js';
import { ignoreField } from './ignore-list.js';
import type { LiteralFilter } from './literal-scanner.js';
import { compileMatcher, type Matcher, type PatternSyntax, syntaxFromType } from './pattern.js';
import { type GuardedOwner, guardedOwner, type PatternGuard } from './pattern-guard.js';
import type { ProblemLog } from './problem.js';
import { CORRELATION_FIELDS, METADATA_ELEMENTS, PATTERN_ELEMENTS, UNEVALUABLE_ELEMENTS } from './rule-elements.js';
import type { XmlElement } from './xml.js';

export type RuleCheck = (event: LogEvent, clock: ClockParts) => boolean;

/** What one `<match>`/`<regex>` on the log needs, and how to tell it the engine checks that first. */
export interface LogLiterals {
  readonly literals: readonly (readonly string[])[];
  /** Called once the engine tests `literals` before the rule's checks: the check then skips its own test. */
  readonly checkedByEngine: () => void;
}

export interface Rule {
  readonly id: number;
  readonly level: number;
  readonly file: string;
  readonly line: number;
  readonly description: string;
  readonly groups: readonly string[];
  readonly noalert: boolean;
  readonly overwrite: boolean;
  readonly frequency: number;
  readonly timeframe: number;
  readonly ignoreSeconds: number;
  readonly ifSid: readonly number[];
  readonly ifGroup: readonly string[];
  readonly ifLevel: number | undefined;
  readonly ifMatchedSid: number | undefined;
  readonly ifMatchedGroup: string | undefined;
  /** Fields that must be equal to (same) or differ from (different) the earlier events counted. */
  readonly same: readonly string[];
  readonly different: readonly string[];
  readonly checks: readonly RuleCheck[];
  /** Set when some pattern of the rule runs through the caller's guard (pattern-guard.ts). */
  readonly guarded?: GuardedOwner;
  /**
   * The `<program_name>` checks, also among `checks`: they read nothing but the program name, so
   * the engine can tell once per program name which siblings cannot match.
   */
  readonly programNameChecks: readonly RuleCheck[];
  /**
   * For each non-negated `<match>`/`<regex>` on the log: the texts its pattern needs (see
   * Matcher.literals). The engine skips the rule when the line lacks them, before any check.
   */
  readonly logLiterals: readonly LogLiterals[];
  /** logLiterals as filters of the ruleset's literal scanner; set when the ruleset is built. */
  logFilters?: readonly LiteralFilter[];
  /** A text id of logFilters that the line must contain, or -1 (see gateOf); set with logFilters. */
  literalGate: number;
  readonly options: readonly string[];
  /** The `<category>` (decoder type) the rule is filed under; "syslog" unless declared. */
  readonly category: string;
  /** The `<decoded_as>` decoder name, if any (also among the checks). */
  readonly decodedAs: string | undefined;
  /** The declared `<category>`, if any (also among the checks). */
  readonly requiredCategory: string | undefined;
  /**
   * Decoded fields the checks read: for each, one of its names must be in the event or a check
   * fails (a `<field>`, `<srcip>`, `<user>` ... with nothing to read fails, negated or not).
   */
  readonly requiredFields: readonly (readonly string[])[];
  /**
   * `<if_fts/>`: the rule matches only the first time its decoder's `<fts>` fields take these
   * values (OSSEC's first-time-seen list); the engine keeps the list.
   */
  readonly firstTimeSeen: boolean;
  /** `<ignore>`: fields whose values this rule's alerts add to the ignore list (ignore-list.ts). */
  readonly ignoreFields: readonly string[] | undefined;
  /** `<check_if_ignored>`: no alert when the event's values of these fields are in the ignore list. */
  readonly checkIgnoredFields: readonly string[] | undefined;
  children: Rule[];
}

export interface RuleContext {
  readonly file: string;
  /** Names events report for the loaded decoders, to refuse a `<decoded_as>` naming none. */
  readonly decoderNames: ReadonlySet<string>;
  readonly groups: readonly string[];
  readonly lists: ReadonlyMap<string, CdbList>;
  readonly problems: ProblemLog;
  /** Times the matches of patterns V8 can only run by backtracking (see pattern-guard.ts). */
  readonly guard?: PatternGuard;
}

function splitList(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function integer(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;
}

function yes(text: string | undefined): boolean {
  return text !== undefined && /^(yes|1|true)$/i.test(text.trim());
}

export function compileRule(el: XmlElement, ctx: RuleContext): Rule | undefined {
  const { file, problems } = ctx;
  const id = integer(el.attributes.id);
  if (id === undefined) {
    problems.error(
      file,
      el.line,
      `rule with a missing or non-numeric id ${JSON.stringify(el.attributes.id ?? '')} refused`,
    );
    return undefined;
  }
  const where = `rule ${id}`;
  const guarded = guardedOwner('rule', String(id), file, el.line);
  const refuse = (line: number, message: string): undefined => {
    problems.error(file, line, `${where}: ${message}; rule refused`);
    return undefined;
  };
  const level = integer(el.attributes.level);
  if (level === undefined || level > 16)
    return refuse(el.line, `level ${JSON.stringify(el.attributes.level ?? '')} is not a number from 0 to 16`);
  const numeric = (name: string): number | undefined | null => {
    const raw = el.attributes[name];
    if (raw === undefined) return undefined;
    const v = integer(raw);
    return v === undefined ? null : v;
  };
  const maxsize = numeric('maxsize');
  const frequency = numeric('frequency');
  const timeframe = numeric('timeframe');
  const ignore = numeric('ignore');
  for (const [name, v] of [
    ['maxsize', maxsize],
    ['frequency', frequency],
    ['timeframe', timeframe],
    ['ignore', ignore],
  ] as const) {
    if (v === null) return refuse(el.line, `attribute ${name}="${el.attributes[name]}" is not a number`);
  }

  const checks: RuleCheck[] = [];
  const programNameChecks: RuleCheck[] = [];
  const groups = [...ctx.groups];
  const options: string[] = [];
  const same: string[] = [];
  const different: string[] = [];
  let description = '';
  let firstTimeSeen = false;
  let ignoreFields: string[] | undefined;
  let checkIgnoredFields: string[] | undefined;
  const ignoreList = (child: XmlElement): string[] | undefined => {
    const out: string[] = [];
    for (const f of splitList(child.text)) {
      const field = ignoreField(f);
      if (field === undefined)
        return refuse(child.line, `<${child.name}> names "${f}", which OSSEC's ignore list cannot hold`);
      out.push(field);
    }
    return out;
  };
  /** srcip/dstip entries of every element, as OSSEC keeps one list per field. */
  const addresses: Record<
    'srcip' | 'dstip',
    { net: NonNullable<ReturnType<typeof parseNetwork>>; negated: boolean }[]
  > = { srcip: [], dstip: [] };
  let ifSid: number[] = [];
  const ifGroup: string[] = [];
  let ifLevel: number | undefined;
  let ifMatchedSid: number | undefined;
  let ifMatchedGroup: string | undefined;
  let decodedAs: string | undefined;
  let category: string | undefined;
  const logLiterals: LogLiterals[] = [];
  const requiredFields: (readonly string[])[] = [];
  const requireField = (name: string): void => {
    const read = decodedFieldsRead(name);
    if (read !== undefined) requiredFields.push(read);
  };
  const concatenated = new Map<string, { text: string; type: string | undefined; negate: boolean; line: number }>();

  const matcherCheck = (
    child: XmlElement,
    text: string,
    fallback: PatternSyntax,
    read: (e: LogEvent) => string | undefined,
    literalsOut?: LogLiterals[],
    caseless = false,
  ): RuleCheck | undefined => {
    const syntax = syntaxFromType(child.attributes.type, fallback);
    if (!syntax) return refuse(child.line, `unknown pattern type "${child.attributes.type}" in <${child.name}>`);
    const compiled = compileMatcher(text, syntax, {
      caseless: caseless && syntax === 'pcre2',
      ...(ctx.guard ? { guard: { owner: guarded, run: ctx.guard } } : {}),
    });
    if (!compiled.ok) return refuse(child.line, `<${child.name}> ${compiled.message}`);
    let m: Pick<Matcher, 'test'> = compiled.matcher;
    const negate = yes(child.attributes.negate);
    const { literals, bare } = compiled.matcher;
    if (!negate && literalsOut && literals) {
      literalsOut.push({
        literals,
        checkedByEngine: () => {
          if (bare) m = bare;
        },
      });
    }
    return negate
      ? (e) => {
          const v = read(e);
          return v !== undefined && !m.test(v);
        }
      : (e) => {
          const v = read(e);
          return v !== undefined && m.test(v);
        };
  };

  for (const child of el.children) {
    const name = child.name;
    const text = child.text;
    switch (name) {
      case 'description':
        // Appended, as OSSEC's loadmemory does (rules split a long description in two).
        description += text;
        continue;
      case 'if_fts':
        firstTimeSeen = true;
        continue;
      case 'ignore': {
        const fields = ignoreList(child);
        if (!fields) return undefined;
        ignoreFields = fields;
        continue;
      }
      case 'check_if_ignored': {
        const fields = ignoreList(child);
        if (!fields) return undefined;
        checkIgnoredFields = fields;
        continue;
      }
      case 'group':
        groups.push(
          ...text
            .split(',')
            .map((g) => g.trim())
            .filter((g) => g.length > 0),
        );
        continue;
      case 'options':
        options.push(...splitList(text));
        continue;
      case 'if_sid': {
        const parts = splitList(text);
        const bad = parts.find((p) => !/^\d+$/.test(p));
        if (bad !== undefined || parts.length === 0)
          return refuse(child.line, `<if_sid>${text}</if_sid> must be rule ids separated by commas or spaces`);
        ifSid = parts.map(Number);
        continue;
      }
      case 'if_group':
        ifGroup.push(...splitList(text));
        continue;
      case 'if_level': {
        const v = integer(text);
        if (v === undefined) return refuse(child.line, `<if_level> must be a number`);
        ifLevel = v;
        continue;
      }
      case 'if_matched_sid': {
        const v = integer(text);
        if (v === undefined) return refuse(child.line, `<if_matched_sid> must be one rule id`);
        ifMatchedSid = v;
        continue;
      }
      case 'if_matched_group':
        ifMatchedGroup = text.trim();
        continue;
      case 'decoded_as':
        if (!ctx.decoderNames.has(text))
          return refuse(child.line, `<decoded_as>${text}</decoded_as> names no loaded decoder`);
        decodedAs = text;
        continue;
      case 'category':
        category = text.toLowerCase();
        continue;
      case 'field': {
        const fieldName = child.attributes.name;
        if (!fieldName) return refuse(child.line, '<field> needs a name attribute');
        const f = canonicalField(fieldName);
        const check = matcherCheck(child, text, 'osregex', (e) => fieldValue(e, f));
        if (!check) return undefined;
        checks.push(check);
        requireField(f);
        continue;
      }
      case 'srcip':
      case 'dstip': {
        let body = text.trim();
        let negated = yes(child.attributes.negate);
        if (body.startsWith('!')) {
          negated = !negated;
          body = body.slice(1);
        }
        for (const part of body.split(',')) {
          const net = parseNetwork(part);
          if (net === undefined) return refuse(child.line, `<${name}>${text}</${name}> is not an address or network`);
          addresses[name].push({ net, negated });
        }
        continue;
      }
      case 'time': {
        const range = parseTimeRange(text);
        if (!range) return refuse(child.line, `<time>${text}</time> is not a time range such as "6 pm - 8:30 am"`);
        checks.push((_e, clock) => inTimeRange(range, clock.minuteOfDay));
        continue;
      }
      case 'weekday': {
        const days = parseWeekdays(text);
        if (!days)
          return refuse(child.line, `<weekday>${text}</weekday> is not a weekday list such as "monday - friday"`);
        checks.push((_e, clock) => days.has(clock.weekday));
        continue;
      }
      case 'list': {
        const field = child.attributes.field;
        const lookup = (child.attributes.lookup ?? 'match_key') as ListLookup;
        if (!field) return refuse(child.line, '<list> needs a field attribute');
        if (!LIST_LOOKUPS.includes(lookup)) return refuse(child.line, `<list> lookup "${lookup}" is unknown`);
        const listName = text.trim().replace(/^etc\/lists\//, '');
        const list = ctx.lists.get(listName);
        if (!list) return refuse(child.line, `CDB list "${text.trim()}" was not provided`);
        let checkValue: ReturnType<typeof compileMatcher> | undefined;
        if (child.attributes.check_value !== undefined) {
          checkValue = compileMatcher(child.attributes.check_value, 'osmatch');
          if (!checkValue.ok) return refuse(child.line, `<list> check_value ${checkValue.message}`);
        }
        const check = listCheck(canonicalField(field), lookup, list, checkValue?.ok ? checkValue.matcher : undefined);
        checks.push((e) => check(e));
        continue;
      }
      case 'same_field':
        same.push(canonicalField(text.trim()));
        continue;
      case 'different_field':
      case 'not_same_field':
        different.push(canonicalField(text.trim()));
        continue;
      default:
        break;
    }
    const pattern = PATTERN_ELEMENTS.get(name);
    if (pattern !== undefined) {
      const prev = concatenated.get(name);
      concatenated.set(name, {
        text: (prev?.text ?? '') + text,
        type: child.attributes.type ?? prev?.type,
        // Concatenated like the text; a later negate attribute overrides an earlier one.
        negate: child.attributes.negate !== undefined ? yes(child.attributes.negate) : (prev?.negate ?? false),
        line: prev?.line ?? child.line,
      });
      continue;
    }
    if (METADATA_ELEMENTS.has(name)) continue;
    const unevaluable = UNEVALUABLE_ELEMENTS[name];
    if (unevaluable !== undefined) return refuse(child.line, `<${name}> ${unevaluable}`);
    const corr = /^(same|different|not_same)_(.+)$/.exec(name);
    if (corr) {
      const field = CORRELATION_FIELDS[corr[2] as string];
      if (!field) return refuse(child.line, `<${name}> names an unknown field`);
      (corr[1] === 'same' ? same : different).push(field);
      continue;
    }
    return refuse(child.line, `element <${name}> is unknown, and the rule cannot be evaluated without it`);
  }

  for (const field of ['srcip', 'dstip'] as const) {
    const list = addresses[field];
    if (list.length === 0) continue;
    requiredFields.push([field]);
    checks.push((e) => {
      const v = e.fields.get(field);
      if (v === undefined) return false;
      const addr = parseAddress(v);
      return addr !== undefined && inAddressList(addr, list);
    });
  }
  for (const [name, spec] of concatenated) {
    const element = PATTERN_ELEMENTS.get(name) as NonNullable<ReturnType<typeof PATTERN_ELEMENTS.get>>;
    // An empty PCRE2 pattern would match every event; OSSEC 3.6+ refuses it at load too.
    if (element.syntax === 'pcre2' && spec.text === '')
      return refuse(spec.line, `<${name}> is empty (OSSEC 3.6+ refuses it too; ".*" matches anything)`);
    const fake: XmlElement = {
      name,
      attributes: { ...(spec.type ? { type: spec.type } : {}), ...(spec.negate ? { negate: 'yes' } : {}) },
      children: [],
      text: spec.text,
      line: spec.line,
    };
    const field = element.field;
    const read =
      field === 'log'
        ? (e: LogEvent) => e.log
        : field === 'user'
          ? (e: LogEvent) => e.fields.get('dstuser') ?? e.fields.get('srcuser')
          : (e: LogEvent) => fieldValue(e, field);
    const check = matcherCheck(
      fake,
      spec.text,
      element.syntax,
      read,
      field === 'log' ? logLiterals : undefined,
      element.caseless,
    );
    if (!check) return undefined;
    checks.push(check);
    if (field === 'user') requiredFields.push(['dstuser', 'srcuser']);
    else if (field !== 'log') requireField(field);
    if (field === 'program_name') programNameChecks.push(check);
  }
  // Cheap, selective checks first.
  if (category !== undefined) {
    const c = category;
    checks.unshift((e) => (e.decoder?.type ?? 'syslog') === c);
  }
  if (decodedAs !== undefined) {
    const d = decodedAs;
    checks.unshift((e) => e.decoder?.reportedName === d);
  }
  if (maxsize !== undefined && maxsize !== null) {
    const size = maxsize;
    checks.unshift((e) => e.fullLog.length >= size);
  }
  // A rule whose slow pattern was disabled never matches, whatever its other (or negated) checks.
  if (guarded.guardedPatterns > 0) checks.unshift(() => !guarded.disabled);
  if (ifMatchedSid !== undefined && ifSid.length === 0) ifSid = [ifMatchedSid];
  if (ifMatchedGroup !== undefined && ifGroup.length === 0 && ifSid.length === 0) ifGroup.push(ifMatchedGroup);

  return {
    id,
    level,
    file,
    line: el.line,
    description,
    groups,
    noalert: el.attributes.noalert !== undefined && el.attributes.noalert !== '0',
    overwrite: yes(el.attributes.overwrite),
    frequency: frequency ?? 0,
    timeframe: timeframe ?? 360,
    ignoreSeconds: ignore ?? 0,
    ifSid,
    ifGroup,
    ifLevel,
    ifMatchedSid,
    ifMatchedGroup,
    same,
    different,
    checks,
    ...(guarded.guardedPatterns > 0 ? { guarded } : {}),
    programNameChecks,
    logLiterals,
    literalGate: -1,
    options,
    category: category ?? 'syslog',
    decodedAs,
    requiredCategory: category,
    requiredFields,
    firstTimeSeen,
    ignoreFields,
    checkIgnoredFields,
    children: [],
  };
}
