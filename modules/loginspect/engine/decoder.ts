import type { LiteralFilter } from './literal-scanner.js';
import { compileMatcher, type Matcher, type PatternSyntax, syntaxFromType } from './pattern.js';
import { type GuardedOwner, guardedOwner, type PatternGuard } from './pattern-guard.js';
import type { ProblemLog } from './problem.js';
import type { XmlElement } from './xml.js';

export type DecoderOffset = 'none' | 'after_parent' | 'after_prematch' | 'after_regex';
export type DecoderPlugin = 'json' | 'unsupported';

export interface Decoder {
  /** The name declared in the file. */
  readonly name: string;
  /** The name events report (and `decoded_as` compares): the parent's, unless `use_own_name`. */
  reportedName: string;
  readonly parentName: string | undefined;
  readonly file: string;
  readonly line: number;
  readonly programName: Matcher | undefined;
  readonly prematch: Matcher | undefined;
  readonly prematchOffset: DecoderOffset;
  /** Texts the prematch needs in the log (a necessary condition); set when the ruleset is built. */
  prematchFilter: LiteralFilter | undefined;
  /** A text id of prematchFilter that the log must contain, or -1 (see gateOf); set with it. */
  prematchGate: number;
  readonly regex: Matcher | undefined;
  /** Set when some pattern of the decoder runs through the caller's guard (pattern-guard.ts). */
  readonly guarded?: GuardedOwner;
  readonly regexOffset: DecoderOffset;
  /** Texts the regex needs in the log (a necessary condition); set when the ruleset is built. */
  regexFilter: LiteralFilter | undefined;
  /** Field name for each capture group, in order. */
  readonly order: readonly string[];
  type: string;
  readonly typeDeclared: boolean;
  readonly useOwnName: boolean;
  readonly plugin: DecoderPlugin | undefined;
  /** The name of a plugin this engine does not have (compiled into OSSEC). */
  readonly unsupportedPlugin: string | undefined;
  readonly pluginOffset: DecoderOffset;
  readonly jsonNullField: 'discard' | 'empty' | 'string';
  /** `<accumulate/>`: fields shared between the events of one `id` (see accumulator.ts). */
  readonly accumulate: boolean;
  /** The `<fts>` fields (canonical names; "name" left out, the decoder's name always counts). */
  readonly fts: readonly string[] | undefined;
  readonly children: Decoder[];
  /**
   * Per child index, set once the children are loaded (childGroups in ruleset.ts): the index of
   * the next child with another name (a failed prematch skips the rest of its group), and the
   * child with every later child of its name (those that extract fields when it matches).
   */
  groupEnd: Int32Array;
  sameNameFrom: readonly (readonly Decoder[])[];
  /**
   * Every field an event can carry when this is its decoder (the `order` names of what extracts
   * for it), or undefined when that is open-ended (a JSON plugin). Set once the ruleset is loaded.
   */
  producibleFields: ReadonlySet<string> | undefined;
}

/** Decoder `order` names that OSSEC stores in its fixed fields under another name. */
const FIELD_ALIASES: Readonly<Record<string, string>> = { user: 'dstuser' };

/** Field names compare without case in OSSEC/Wazuh, so they are stored lower-cased. */
export function canonicalField(name: string): string {
  const lower = name.toLowerCase();
  return FIELD_ALIASES[lower] ?? lower;
}

function offsetOf(value: string | undefined): DecoderOffset | undefined {
  if (value === undefined || value === '') return 'none';
  if (value === 'after_parent' || value === 'after_prematch' || value === 'after_regex') return value;
  return undefined;
}

interface PatternSpec {
  text: string;
  type: string | undefined;
  offset: string | undefined;
  line: number;
  /** The OSSEC 3.4+ `*_pcre2` element: PCRE2 compiled with PCRE2_CASELESS. */
  pcre2: boolean;
  element: string;
}

/** OSSEC concatenates repeated elements (os_LoadString), so two <regex> lines form one pattern. */
function collect(spec: PatternSpec | undefined, el: XmlElement): PatternSpec | string {
  const pcre2 = el.name.endsWith('pcre2');
  if (!spec)
    return {
      text: el.text,
      type: el.attributes.type,
      offset: el.attributes.offset,
      line: el.line,
      pcre2,
      element: el.name,
    };
  // OSSEC keeps both and uses only the older form (DecodeEvent's `else if`): one would be ignored.
  if (spec.pcre2 !== pcre2) return `both <${spec.element}> and <${el.name}>; OSSEC would use only one of them`;
  return {
    text: spec.text + el.text,
    type: el.attributes.type ?? spec.type,
    offset: el.attributes.offset ?? spec.offset,
    line: spec.line,
    pcre2,
    element: spec.element,
  };
}

export function compileDecoder(
  el: XmlElement,
  file: string,
  problems: ProblemLog,
  guard?: PatternGuard,
): Decoder | undefined {
  const name = el.attributes.name;
  if (!name) {
    problems.error(file, el.line, 'decoder without a name attribute refused');
    return undefined;
  }
  const where = `decoder "${name}"`;
  // A decoder whose slow pattern was disabled: its patterns match nothing from then on.
  const guarded = guardedOwner('decoder', name, file, el.line);
  let parentName: string | undefined;
  let programName: PatternSpec | undefined;
  let prematch: PatternSpec | undefined;
  let regex: PatternSpec | undefined;
  const order: string[] = [];
  let type: string | undefined;
  let useOwnName = false;
  let plugin: DecoderPlugin | undefined;
  let pluginOffset: string | undefined;
  let jsonNullField: Decoder['jsonNullField'] = 'empty';
  let fts: string[] | undefined;
  let accumulate = false;
  let unsupportedPlugin: string | undefined;
  const refuse = (line: number, message: string): undefined => {
    problems.error(file, line, `${where}: ${message}; decoder refused`);
    return undefined;
  };

  for (const child of el.children) {
    switch (child.name) {
      case 'parent':
        parentName = child.text;
        break;
      case 'program_name':
      case 'program_name_pcre2': {
        const next = collect(programName, child);
        if (typeof next === 'string') return refuse(child.line, next);
        programName = next;
        break;
      }
      case 'prematch':
      case 'prematch_pcre2': {
        const next = collect(prematch, child);
        if (typeof next === 'string') return refuse(child.line, next);
        prematch = next;
        break;
      }
      case 'regex':
      case 'pcre2': {
        const next = collect(regex, child);
        if (typeof next === 'string') return refuse(child.line, next);
        regex = next;
        break;
      }
      case 'order':
        for (const f of child.text.split(/[,|]/)) {
          const trimmed = f.trim();
          if (trimmed) order.push(canonicalField(trimmed));
        }
        break;
      case 'type':
        type = child.text.toLowerCase();
        break;
      case 'use_own_name':
        useOwnName = child.text.toLowerCase() === 'true' || child.text.toLowerCase() === 'yes';
        break;
      case 'plugin_decoder':
        // Another plugin is refused when the ruleset is loaded, if it can run (see ruleset.ts).
        plugin = child.text === 'JSON_Decoder' ? 'json' : 'unsupported';
        unsupportedPlugin = plugin === 'unsupported' ? child.text : undefined;
        pluginOffset = child.attributes.offset;
        break;
      case 'json_null_field': {
        const v = child.text.toLowerCase();
        if (v === 'discard' || v === 'empty' || v === 'string') jsonNullField = v;
        break;
      }
      case 'fts':
        fts = [];
        for (const f of child.text.split(',')) {
          const field = canonicalField(f.trim());
          if (field !== '' && field !== 'name') fts.push(field);
        }
        break;
      case 'accumulate':
        accumulate = true;
        break;
      case 'ftscomment':
      case 'var':
        break;
      default:
        return refuse(child.line, `element <${child.name}> is unknown, and the decoder cannot be evaluated without it`);
    }
  }

  const compile = (
    spec: PatternSpec | undefined,
    fallback: PatternSyntax,
    what: string,
  ): Matcher | undefined | null => {
    if (!spec) return undefined;
    // An empty PCRE2 pattern would take every line; OSSEC 3.6+ refuses it at load too.
    if (spec.pcre2 && spec.text === '') {
      problems.error(
        file,
        spec.line,
        `${where}: <${spec.element}> is empty (OSSEC 3.6+ refuses it too; ".*" matches anything); decoder refused`,
      );
      return null;
    }
    const syntax = spec.pcre2 ? 'pcre2' : syntaxFromType(spec.type, fallback);
    if (!syntax) {
      problems.error(file, spec.line, `${where}: unknown pattern type "${spec.type}" in <${what}>; decoder refused`);
      return null;
    }
    const result = compileMatcher(spec.text, syntax, {
      caseless: spec.pcre2,
      ...(guard ? { guard: { owner: guarded, run: guard } } : {}),
    });
    if (!result.ok) {
      problems.error(file, spec.line, `${where}: <${what}> ${result.message}; decoder refused`);
      return null;
    }
    return result.matcher;
  };
  const programMatcher = compile(programName, 'osmatch', 'program_name');
  const prematchMatcher = compile(prematch, 'osregex', 'prematch');
  const regexMatcher = compile(regex, 'osregex', 'regex');
  if (programMatcher === null || prematchMatcher === null || regexMatcher === null) return undefined;

  const prematchOffset = offsetOf(prematch?.offset);
  const regexOffset = offsetOf(regex?.offset);
  const pluginOff = offsetOf(pluginOffset);
  if (!prematchOffset || !regexOffset || !pluginOff) {
    problems.error(file, el.line, `${where}: unknown offset value; decoder refused`);
    return undefined;
  }
  if (!parentName && !programMatcher && !prematchMatcher) {
    problems.error(
      file,
      el.line,
      `${where}: a decoder without a parent needs <program_name> or <prematch>; decoder refused`,
    );
    return undefined;
  }
  return {
    name,
    reportedName: name,
    parentName,
    file,
    line: el.line,
    ...(guarded.guardedPatterns > 0 ? { guarded } : {}),
    programName: programMatcher,
    prematch: prematchMatcher,
    prematchOffset,
    prematchFilter: undefined,
    prematchGate: -1,
    regex: regexMatcher,
    regexOffset,
    regexFilter: undefined,
    order,
    type: type ?? 'syslog',
    typeDeclared: type !== undefined,
    useOwnName,
    plugin,
    unsupportedPlugin,
    pluginOffset: pluginOff,
    jsonNullField,
    fts,
    accumulate,
    children: [],
    groupEnd: new Int32Array(0),
    sameNameFrom: [],
    producibleFields: undefined,
  };
}
