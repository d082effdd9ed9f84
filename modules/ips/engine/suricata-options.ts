/**
 * The options of a Suricata rule, keyword by keyword. Every keyword the engine evaluates is
 * handled here; any other refuses the rule with `unsupported-keyword:<keyword>`.
 */
import { type BufferName, LEGACY_MODIFIERS, STICKY_BUFFERS } from './suricata-buffers.js';
import { parseSuricataPcre } from './suricata-pcre.js';
import type { BufferConditions, Condition, ContentCondition, RuleOptions, Threshold } from './suricata-rule.js';
import {
  asciiLower,
  decodeContent,
  parseInteger,
  parseNumericTest,
  type RuleOption,
  unquote,
} from './suricata-text.js';
import { TRANSFORMS, type Transform } from './suricata-transforms.js';

type OptionsParse =
  | { readonly ok: true; readonly options: RuleOptions }
  | { readonly ok: false; readonly reasonClass: string; readonly reason: string };

/** Keywords that describe the rule and change no match. */
const DESCRIPTIVE = new Set(['reference', 'metadata', 'target', 'gid']);

/** Buffer placeholder for `file_data`, settled once the flow direction is known. */
const FILE_DATA = 'file.data' as BufferName;

class OptionsBuilder {
  readonly options: RuleOptions = { flowbits: [], noalert: false, thresholds: [], buffers: [], fileData: false };
  /** The sticky buffer in force; undefined = the payload (or the legacy modifiers' choice). */
  sticky: BufferName | undefined;
  /** Transforms follow the sticky buffer they change. */
  transforms: Transform[] = [];
  lastContent: { condition: ContentCondition; list: BufferConditions } | undefined;
  /** The list the last content or pcre went to: relative options (isdataat) chain there. */
  lastList: BufferConditions | undefined;

  /** One chain per buffer, as Suricata keeps one list per sticky buffer. */
  listFor(buffer: BufferName): BufferConditions {
    const transforms = buffer === this.sticky ? [...this.transforms] : [];
    const key = transforms.join(',');
    const existing = this.options.buffers.find((b) => b.buffer === buffer && b.transforms.join(',') === key);
    if (existing !== undefined) return existing;
    const list: BufferConditions = { buffer, transforms, conditions: [] };
    this.options.buffers.push(list);
    return list;
  }

  add(buffer: BufferName, condition: Condition): BufferConditions {
    const list = this.listFor(buffer);
    list.conditions.push(condition);
    this.lastList = list;
    return list;
  }
}

function threshold(value: string, detectionFilter: boolean): Threshold | string {
  const fields = new Map<string, string>();
  for (const part of value.split(',')) {
    const [k, v] = part.trim().split(/\s+/);
    if (k === undefined || v === undefined) return `a malformed threshold "${value}"`;
    fields.set(k, v);
  }
  const type = detectionFilter ? 'detection_filter' : fields.get('type');
  const track = fields.get('track');
  const count = parseInteger(fields.get('count'), false);
  const seconds = parseInteger(fields.get('seconds'), false);
  if (type !== 'limit' && type !== 'threshold' && type !== 'both' && type !== 'detection_filter')
    return `the threshold type "${type}"`;
  if (track !== 'by_src' && track !== 'by_dst' && track !== 'by_rule' && track !== 'by_both')
    return `the threshold track "${track}"`;
  if (count === undefined || count < 1 || seconds === undefined || seconds < 1)
    return 'a threshold without count or seconds';
  return { type, track, count, seconds };
}

export function parseOptions(list: readonly RuleOption[], protocol: string): OptionsParse {
  const refuse = (reasonClass: string, reason: string): OptionsParse => ({ ok: false, reasonClass, reason });
  const b = new OptionsBuilder();
  const o = b.options;
  for (const { keyword, value } of list) {
    const invalid = (what?: string) =>
      refuse(`invalid:${keyword}`, what ?? `the value of ${keyword}: "${(value ?? '').slice(0, 80)}"`);
    if (DESCRIPTIVE.has(keyword)) continue;
    switch (keyword) {
      case 'msg': {
        const m = unquote(value ?? '');
        if (!m.ok) return invalid(m.message);
        o.msg = m.value;
        continue;
      }
      case 'sid':
      case 'rev':
      case 'priority': {
        const n = parseInteger(value, false);
        if (n === undefined) return invalid();
        o[keyword] = n;
        continue;
      }
      case 'classtype':
        if (value === undefined) return invalid();
        o.classtype = value;
        continue;
      case 'flow':
        for (const word of (value ?? '').split(',').map((w) => w.trim())) {
          if (word === 'established') o.established = true;
          else if (word === 'not_established') o.established = false;
          else if (word === 'stateless') continue;
          else if (word === 'to_server' || word === 'from_client') o.direction = 'to_server';
          else if (word === 'to_client' || word === 'from_server') o.direction = 'to_client';
          else if (/^[a-z_]+$/.test(word)) return refuse(`unsupported-option:flow:${word}`, `flow:${word}`);
          else return invalid();
        }
        continue;
      case 'flowbits': {
        const [op, names, extra] = (value ?? '').split(',').map((w) => w.trim());
        if (op === 'noalert' && names === undefined) {
          o.noalert = true;
          continue;
        }
        if (op !== 'set' && op !== 'unset' && op !== 'toggle' && op !== 'isset' && op !== 'isnotset') return invalid();
        if (names === undefined || names === '' || extra !== undefined) return invalid();
        const any = names.includes('|');
        if (any && names.includes('&')) return invalid();
        const split = names.split(/[|&]/);
        if (split.some((n) => !/^[A-Za-z0-9_.-]{1,64}$/.test(n))) return invalid();
        o.flowbits.push({ op, names: split, any });
        continue;
      }
      case 'noalert':
        o.noalert = true;
        continue;
      case 'threshold':
      case 'detection_filter': {
        const t = threshold(value ?? '', keyword === 'detection_filter');
        if (typeof t === 'string') return invalid(t);
        o.thresholds.push(t);
        continue;
      }
      case 'content': {
        const c = decodeContent(value ?? '');
        if (!c.ok) return invalid(c.message);
        const condition: ContentCondition = {
          kind: 'content',
          bytes: c.value.bytes,
          lower: asciiLower(c.value.bytes),
          nocase: false,
          negated: c.value.negated,
          startsWith: false,
          endsWith: false,
          fastPattern: false,
        };
        const list = b.add(b.sticky ?? 'payload', condition);
        b.lastContent = { condition, list };
        continue;
      }
      case 'pcre': {
        const p = parseSuricataPcre(value ?? '');
        if (!p.ok) return refuse(p.reasonClass, p.reason);
        const buffer = p.pcre.buffer ?? b.sticky ?? 'payload';
        b.add(buffer, { kind: 'pcre', regex: p.pcre.regex, negated: p.pcre.negated, relative: p.pcre.relative });
        continue;
      }
      case 'isdataat': {
        const m = /^\s*(!)?\s*(\d{1,9})\s*(,\s*relative\s*)?$/.exec(value ?? '');
        if (!m) return invalid();
        const relative = m[3] !== undefined;
        const target = relative ? b.lastList : undefined;
        const condition = { kind: 'isdataat', position: Number(m[2]), relative, negated: m[1] !== undefined } as const;
        if (target !== undefined) target.conditions.push(condition);
        else b.add(b.sticky ?? 'payload', condition);
        continue;
      }
      case 'bsize': {
        const t = parseNumericTest(value ?? '');
        if (!t.ok || b.sticky === undefined) return invalid(t.ok ? 'bsize without a sticky buffer' : t.message);
        b.add(b.sticky, { kind: 'bsize', test: t.value });
        continue;
      }
      case 'dsize': {
        const t = parseNumericTest(value ?? '');
        if (!t.ok) return invalid(t.message);
        o.dsize = t.value;
        continue;
      }
      case 'urilen': {
        const [test, kind] = (value ?? '').split(',').map((w) => w.trim());
        const t = parseNumericTest(test ?? '');
        if (!t.ok || (kind !== undefined && kind !== 'raw' && kind !== 'norm')) return invalid();
        o.urilen = { test: t.value, raw: kind === 'raw' };
        continue;
      }
      case 'file_data':
      case 'file.data':
        b.transforms = [];
        b.sticky = FILE_DATA;
        o.fileData = true;
        continue;
      default:
        break;
    }
    if (TRANSFORMS.has(keyword)) {
      if (b.sticky === undefined || value !== undefined) return invalid(`${keyword} without a sticky buffer before it`);
      b.transforms.push(keyword as Transform);
      continue;
    }
    const sticky = STICKY_BUFFERS[keyword];
    if (sticky !== undefined) {
      if (value !== undefined) return invalid();
      b.sticky = sticky;
      b.transforms = [];
      continue;
    }
    const content = b.lastContent?.condition;
    const legacy = LEGACY_MODIFIERS[keyword];
    if (legacy !== undefined) {
      if (b.lastContent === undefined || b.sticky !== undefined)
        return invalid(`${keyword} without a content before it`);
      // Move the content from the payload list to its buffer's list.
      const from = b.lastContent.list;
      from.conditions.splice(from.conditions.indexOf(b.lastContent.condition), 1);
      if (from.conditions.length === 0) o.buffers.splice(o.buffers.indexOf(from), 1);
      const to = b.add(legacy, b.lastContent.condition);
      b.lastContent = { condition: b.lastContent.condition, list: to };
      continue;
    }
    const modifier = contentModifier(keyword, value, content);
    if (modifier === 'unknown') return refuse(`unsupported-keyword:${keyword}`, `the keyword ${keyword}`);
    if (modifier !== undefined) return invalid(modifier);
  }
  return finish(o, protocol, refuse);
}

/** Applies a content modifier; undefined when applied, a message when invalid, 'unknown' if not one. */
function contentModifier(
  keyword: string,
  value: string | undefined,
  c: ContentCondition | undefined,
): string | undefined {
  const numeric = ['depth', 'offset', 'distance', 'within'];
  const flags = ['nocase', 'fast_pattern', 'startswith', 'endswith', 'rawbytes'];
  if (!numeric.includes(keyword) && !flags.includes(keyword)) return 'unknown';
  if (c === undefined) return `${keyword} without a content before it`;
  if (numeric.includes(keyword)) {
    const n = parseInteger(value, keyword === 'distance' || keyword === 'offset');
    if (n === undefined) return `${keyword} needs a number (variables from byte_extract are not supported)`;
    if (keyword === 'depth' || keyword === 'offset') {
      if (c.distance !== undefined || c.within !== undefined) return 'depth/offset mixed with distance/within';
      if (keyword === 'depth') c.depth = n;
      else c.offset = n;
    } else {
      if (c.depth !== undefined || c.offset !== undefined) return 'distance/within mixed with depth/offset';
      if (keyword === 'within') {
        if (n < c.bytes.length) return 'within shorter than the content';
        c.within = n;
      } else c.distance = n;
    }
    return undefined;
  }
  if (keyword === 'nocase') c.nocase = true;
  else if (keyword === 'fast_pattern') {
    // `fast_pattern:only` and `fast_pattern:<offset>,<length>` choose what the prefilter looks
    // for; the whole content is always checked afterwards, so the result is the same.
    c.fastPattern = true;
  } else if (keyword === 'startswith') c.startsWith = true;
  else if (keyword === 'endswith') c.endsWith = true;
  return undefined;
}

function finish(
  o: RuleOptions,
  protocol: string,
  refuse: (reasonClass: string, reason: string) => OptionsParse,
): OptionsParse {
  if (o.sid === undefined) return refuse('invalid:sid', 'the rule has no sid');
  if (o.fileData) {
    const body: BufferName = o.direction === 'to_server' ? 'http.request_body' : 'http.response_body';
    for (const list of o.buffers) if (list.buffer === FILE_DATA) list.buffer = body;
  }
  const seen = new Set<BufferName>();
  for (const list of o.buffers) {
    if (seen.has(list.buffer) && list.buffer !== 'payload') {
      // file_data and http.response_body (or request) in one rule: one chain per buffer.
      const first = o.buffers.find(
        (l) => l.buffer === list.buffer && l.transforms.join(',') === list.transforms.join(','),
      ) as BufferConditions;
      if (first !== list) {
        first.conditions.push(...list.conditions.splice(0));
      }
    }
    seen.add(list.buffer);
  }
  for (let k = o.buffers.length - 1; k >= 0; k--) if (o.buffers[k]?.conditions.length === 0) o.buffers.splice(k, 1);
  for (const list of o.buffers) {
    for (const c of list.conditions) {
      if (
        c.kind === 'content' &&
        c.startsWith &&
        (c.offset !== undefined || c.depth !== undefined || c.distance !== undefined)
      )
        return refuse('invalid:startswith', 'startswith mixed with offset, depth or distance');
    }
  }
  if (protocol === 'dns' && o.buffers.some((l) => l.buffer !== 'dns.query' && l.buffer !== 'payload'))
    return refuse('invalid:buffer', 'a dns rule with another protocol buffer');
  return { ok: true, options: o };
}
