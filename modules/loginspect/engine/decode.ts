import type { Decoder, DecoderOffset } from './decoder.js';
import type { LogEvent } from './event.js';
import type { LiteralFilter, LiteralHits } from './literal-scanner.js';
import type { Matcher } from './pattern.js';

/**
 * Decoding as OSSEC's DecodeEvent does it: decoders that name a program are tried first (when
 * the line has a program name), then the others, in load order. The first top-level decoder whose
 * program name and prematch match wins; then the first child whose prematch matches (or that
 * has none) is chosen, and it and its siblings (later children of the same name) extract fields.
 */
export interface DecoderIndex {
  /** Decoders with a program name other than one exact name, in load order. */
  readonly programPatterns: readonly Decoder[];
  /**
   * For each exact program name (a `^name$` pattern, lower-cased): the decoders a line with that
   * program must try, in load order — those naming it exactly merged with `programPatterns`.
   */
  readonly byExactProgram: ReadonlyMap<string, readonly Decoder[]>;
  readonly withoutProgramName: readonly Decoder[];
  /**
   * The same decoders for a log starting with a given (lower-cased) character: those whose
   * prematch is anchored on another first character are left out. Order is kept.
   */
  readonly withoutProgramNameByFirstChar: ReadonlyMap<string, readonly Decoder[]>;
  /** For a log whose first character is not in the map: decoders not anchored on a character. */
  readonly withoutProgramNameUnanchored: readonly Decoder[];
}

function matchEnd(m: RegExpExecArray, base: number): number {
  return base + m.index + (m[0] as string).length;
}

function slice(log: string, offset: number): string {
  return offset === 0 ? log : log.slice(offset);
}

function offsetFor(kind: DecoderOffset, parentEnd: number, prematchEnd: number, regexEnd: number): number {
  switch (kind) {
    case 'after_parent':
      return parentEnd;
    case 'after_prematch':
      return prematchEnd;
    case 'after_regex':
      return regexEnd;
    default:
      return 0;
  }
}

/**
 * `matcher.exec` on the log from `offset` on, asking the literal scanner first: texts missing from
 * the whole log are missing from any part of it. When the scanner answered, the matcher's own
 * test for the same texts is skipped.
 */
function execOnLog(
  matcher: Matcher,
  filter: LiteralFilter | undefined,
  hits: LiteralHits | undefined,
  log: string,
  offset: number,
): RegExpExecArray | null {
  if (hits === undefined || filter === undefined) return matcher.exec(slice(log, offset));
  if (!hits.passes(filter)) return null;
  return (matcher.bare ?? matcher).exec(slice(log, offset));
}

/** True when the scanner's findings show that the decoder's prematch cannot match. */
function gatedOut(d: Decoder, hits: LiteralHits | undefined): boolean {
  return hits !== undefined && d.prematchGate >= 0 && !hits.has(d.prematchGate);
}

function tryDecoder(event: LogEvent, node: Decoder, programChecked: boolean, hits: LiteralHits | undefined): boolean {
  if (gatedOut(node, hits)) return false;
  const log = event.log;
  if (node.programName && !programChecked) {
    if (event.programName === undefined || !node.programName.test(event.programName)) return false;
  }
  let parentEnd = 0;
  if (node.prematch) {
    const m = execOnLog(node.prematch, node.prematchFilter, hits, log, 0);
    if (!m) return false;
    parentEnd = matchEnd(m, 0);
  }
  event.decoder = node;
  const children = node.children;
  if (children.length === 0) {
    extractOne(event, node, parentEnd, parentEnd, parentEnd, hits);
    return true;
  }
  let i = 0;
  while (i < children.length) {
    const child = children[i] as Decoder;
    if (!child.prematch) {
      event.decoder = child;
      extract(event, node.sameNameFrom[i] as readonly Decoder[], parentEnd, parentEnd, hits);
      return true;
    }
    const base = child.prematchOffset === 'after_parent' ? parentEnd : 0;
    const m = gatedOut(child, hits) ? null : execOnLog(child.prematch, child.prematchFilter, hits, log, base);
    if (m) {
      event.decoder = child;
      extract(event, node.sameNameFrom[i] as readonly Decoder[], parentEnd, matchEnd(m, base), hits);
      return true;
    }
    // A failed prematch rules out the whole sibling group.
    i = node.groupEnd[i] as number;
  }
  return true;
}

/** The matching child and its later namesakes extract in order, each after the last regex match. */
function extract(
  event: LogEvent,
  group: readonly Decoder[],
  parentEnd: number,
  prematchEnd: number,
  hits: LiteralHits | undefined,
): void {
  let regexEnd = prematchEnd;
  for (let i = 0; i < group.length; i++)
    regexEnd = extractOne(event, group[i] as Decoder, parentEnd, prematchEnd, regexEnd, hits);
}

/** One decoder's plugin and regex; returns the new end of the last regex match. */
function extractOne(
  event: LogEvent,
  d: Decoder,
  parentEnd: number,
  prematchEnd: number,
  regexEnd: number,
  hits: LiteralHits | undefined,
): number {
  const log = event.log;
  if (d.plugin === 'json') {
    decodeJson(event, slice(log, offsetFor(d.pluginOffset, parentEnd, prematchEnd, regexEnd)), d);
  }
  if (!d.regex) return regexEnd;
  const base = offsetFor(d.regexOffset, parentEnd, prematchEnd, regexEnd);
  const m = execOnLog(d.regex, d.regexFilter, hits, log, base);
  // A sibling whose regex fails extracts nothing; the others still run.
  if (!m) return regexEnd;
  const order = d.order;
  const n = Math.min(order.length, m.length - 1);
  for (let k = 0; k < n; k++) {
    const value = m[k + 1];
    if (value !== undefined) event.fields.set(order[k] as string, value);
  }
  return matchEnd(m, base);
}

/**
 * Remembers, per program name, the decoders whose program-name pattern accepts it: a log stream
 * has few distinct programs, and without this every sshd line tests ~100 program patterns.
 * Bounded; emptied when full. Owned by one engine instance.
 */
export class ProgramCandidates {
  readonly #byProgram = new Map<string, readonly Decoder[]>();
  readonly #limit: number;

  constructor(limit = 4096) {
    this.#limit = limit;
  }

  get(index: DecoderIndex, program: string): readonly Decoder[] {
    let found = this.#byProgram.get(program);
    if (found === undefined) {
      const all = index.byExactProgram.get(program.toLowerCase()) ?? index.programPatterns;
      found = all.filter((d) => d.programName === undefined || d.programName.test(program));
      if (this.#byProgram.size >= this.#limit) this.#byProgram.clear();
      this.#byProgram.set(program, found);
    }
    return found;
  }
}

/** `hits`, when given, are the literal scanner's findings for `event.log`. */
export function decodeEvent(
  event: LogEvent,
  index: DecoderIndex,
  programs?: ProgramCandidates,
  hits?: LiteralHits,
): void {
  const program = event.programName;
  if (program !== undefined) {
    if (programs) {
      const candidates = programs.get(index, program);
      for (let i = 0; i < candidates.length; i++) if (tryDecoder(event, candidates[i] as Decoder, true, hits)) return;
    } else {
      const candidates = index.byExactProgram.get(program.toLowerCase()) ?? index.programPatterns;
      for (let i = 0; i < candidates.length; i++) if (tryDecoder(event, candidates[i] as Decoder, false, hits)) return;
    }
  }
  const first = event.log.charAt(0).toLowerCase();
  const candidates = index.withoutProgramNameByFirstChar.get(first) ?? index.withoutProgramNameUnanchored;
  for (let i = 0; i < candidates.length; i++) if (tryDecoder(event, candidates[i] as Decoder, false, hits)) return;
}

const MAX_JSON_DEPTH = 32;

function decodeJson(event: LogEvent, text: string, decoder: Decoder): void {
  const start = text.indexOf('{');
  if (start === -1) return;
  let value: unknown;
  try {
    value = JSON.parse(start === 0 ? text : text.slice(start));
  } catch {
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  flatten(event.fields, '', value as Record<string, unknown>, decoder.jsonNullField, 0);
}

/** JSON text laid out as cJSON_Print does (Wazuh keeps arrays of objects in that form). */
function printJson(value: unknown, depth: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => printJson(v, depth)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return `{\n${'\t'.repeat(depth)}}`;
  const inner = '\t'.repeat(depth + 1);
  const body = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}:\t${printJson(v, depth + 1)}`).join(',\n');
  return `{\n${body}\n${'\t'.repeat(depth)}}`;
}

function scalar(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function flatten(
  fields: Map<string, string>,
  prefix: string,
  object: Record<string, unknown>,
  nulls: Decoder['jsonNullField'],
  depth: number,
): void {
  if (depth > MAX_JSON_DEPTH) return;
  for (const key of Object.keys(object)) {
    const value = object[key];
    // A top-level "user" is OSSEC's user field (stored as dstuser), as in the JSON decoder.
    const name = prefix === '' && key.toLowerCase() === 'user' ? 'dstuser' : prefix + key.toLowerCase();
    if (value === null) {
      if (nulls === 'empty') fields.set(name, '');
      else if (nulls === 'string') fields.set(name, 'null');
    } else if (Array.isArray(value)) {
      if (value.every((v) => v === null || typeof v !== 'object')) fields.set(name, value.map(scalar).join(','));
      else fields.set(name, printJson(value, 0));
    } else if (typeof value === 'object') {
      flatten(fields, `${name}.`, value as Record<string, unknown>, nulls, depth + 1);
    } else {
      fields.set(name, scalar(value));
    }
  }
}
