import { enableBacktrackingGuard } from '@bulwark/protocol/pcre2';
import { type CdbList, parseCdbList } from './cdb-list.js';
import type { DecoderIndex } from './decode.js';
import { compileDecoder, type Decoder } from './decoder.js';
import { gateOf, LiteralCatalogue, LiteralScanner } from './literal-scanner.js';
import type { PatternGuard } from './pattern-guard.js';
import { ProblemLog, type RulesetProblem } from './problem.js';
import { compileRule, type Rule } from './rule.js';
import { buildRuleTree } from './rule-tree.js';
import { parseXml, type XmlElement } from './xml.js';

/** A file given to the loader: a name for messages and its contents. The loader reads no files. */
export interface RulesetFile {
  readonly name: string;
  readonly content: string;
}

export interface RulesetInput {
  /** Decoder files, in load order (OSSEC loads them sorted by name). */
  readonly decoders: readonly RulesetFile[];
  /** Rule files, in load order. */
  readonly rules: readonly RulesetFile[];
  /** CDB lists, named as rules reference them without the `etc/lists/` prefix (e.g. "audit-keys"). */
  readonly lists?: readonly RulesetFile[];
}

export interface Ruleset {
  readonly decoderIndex: DecoderIndex;
  readonly decoderCount: number;
  readonly topRules: readonly Rule[];
  readonly rulesById: ReadonlyMap<number, Rule>;
  /**
   * For `sid:<id>` and `group:<name>`: the frequency rules (if_matched_sid / if_matched_group)
   * that count the events a rule with that id or group generates.
   */
  readonly correlationReaders: ReadonlyMap<string, readonly Rule[]>;
  /** Finds, in one pass over a log, the texts the decoders' prematches and the rules' log patterns need. */
  readonly literalScanner: LiteralScanner;
}

export interface RulesetResult {
  readonly ruleset: Ruleset;
  readonly problems: readonly RulesetProblem[];
}

const VAR_REFERENCE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Applies `<var>` definitions, in document order, to the text and attributes that follow them. */
function substituteVariables(elements: XmlElement[], vars: Map<string, string>): XmlElement[] {
  const apply = (s: string): string =>
    s.includes('$') ? s.replace(VAR_REFERENCE, (whole, name: string) => vars.get(name) ?? whole) : s;
  const walk = (el: XmlElement): XmlElement | undefined => {
    if (el.name === 'var') {
      const name = el.attributes.name;
      if (name) vars.set(name, apply(el.text));
      return undefined;
    }
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(el.attributes)) attributes[k] = apply(v);
    const children: XmlElement[] = [];
    for (const c of el.children) {
      const w = walk(c);
      if (w) children.push(w);
    }
    return { name: el.name, attributes, children, text: apply(el.text), line: el.line };
  };
  const out: XmlElement[] = [];
  for (const el of elements) {
    const w = walk(el);
    if (w) out.push(w);
  }
  return out;
}

function readFile(file: RulesetFile, problems: ProblemLog): XmlElement[] {
  const parsed = parseXml(file.content);
  if (!parsed.ok) {
    problems.error(file.name, parsed.line, `${parsed.message}; file refused`);
    return [];
  }
  return substituteVariables(parsed.elements, new Map());
}

const EXACT_PROGRAM = /^\^([^|^$\\]+)\$$/;

/** OS_Regex classes that match ASCII characters only (see OS_CLASSES in os-regex.ts), lower-cased. */
const DIGITS = '0123456789';
const FIRST_OF_CLASS: Readonly<Record<string, string>> = {
  d: DIGITS,
  w: `abcdefghijklmnopqrstuvwxyz${DIGITS}_@-`,
  t: '\t',
  p: '()*+,-.:;<=>?[]!"\'#$%&|{}',
};

/**
 * The characters (lower-cased) a text must start with for this OS_Regex/OS_Match prematch to
 * match, when every alternative is anchored with `^` on a literal character or an ASCII-only
 * class (`\d`, `\w`, `\t`, `\p`, possibly with `+`); otherwise undefined. The translated
 * patterns never use the `u` flag, so such a class cannot match a non-ASCII first character.
 */
function firstCharacters(source: string, syntax: string): ReadonlySet<string> | undefined {
  if (syntax === 'pcre2') return undefined;
  const out = new Set<string>();
  for (const alt of source.split(/(?<!\\)\|/)) {
    if (!alt.startsWith('^')) return undefined;
    let c = alt[1];
    let next = alt[2];
    let chars: string | undefined;
    if (c === '\\') {
      if (syntax !== 'osregex' || next === undefined || /[0-9.]/.test(next)) return undefined;
      if (/[A-Za-z]/.test(next)) {
        // An escaped letter is a class; only those with ASCII members listed above help.
        chars = FIRST_OF_CLASS[next];
        if (chars === undefined) return undefined;
      }
      c = next;
      next = alt[3];
    } else if (c === undefined || (syntax === 'osregex' && c === '(')) {
      return undefined;
    }
    // `+` repeats a first character that must still be there; `*` makes it optional.
    if (syntax === 'osregex' && (next === '*' || (next === '+' && chars === undefined))) return undefined;
    if (chars !== undefined) {
      for (const k of chars) out.add(k);
      continue;
    }
    const lower = c.toLowerCase();
    const upper = c.toUpperCase();
    out.add(lower);
    if (upper !== lower) out.add(upper.toLowerCase());
  }
  return out;
}

/** Fills in groupEnd and sameNameFrom once the decoder's children are all loaded. */
function childGroups(d: Decoder): void {
  const children = d.children;
  const n = children.length;
  const groupEnd = new Int32Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const next = children[i + 1];
    groupEnd[i] =
      next !== undefined && next.name === (children[i] as Decoder).name ? (groupEnd[i + 1] as number) : i + 1;
  }
  d.groupEnd = groupEnd;
  d.sameNameFrom = children.map((c, i) => children.filter((o, j) => j >= i && o.name === c.name));
}

/**
 * Fills in producibleFields. An event's decoder is a childless top-level decoder, which extracts
 * with its own regex and plugin; a child, whose group (it and its later namesakes) extracts; or a
 * parent none of whose children matched, which extracts nothing. A child can sit under several
 * namesake parents: its fields are those of every group it heads.
 */
function fillProducibleFields(top: readonly Decoder[]): void {
  const sets = new Map<Decoder, Set<string> | 'open'>();
  const add = (d: Decoder, extracting: readonly Decoder[]): void => {
    let set = sets.get(d);
    if (set === 'open') return;
    if (set === undefined) {
      set = new Set();
      sets.set(d, set);
    }
    for (const e of extracting) {
      if (e.plugin === 'json') {
        sets.set(d, 'open');
        return;
      }
      for (const f of e.order) set.add(f);
    }
  };
  for (const t of top) {
    add(t, t.children.length === 0 ? [t] : []);
    for (let i = 0; i < t.children.length; i++) add(t.children[i] as Decoder, t.sameNameFrom[i] as readonly Decoder[]);
  }
  for (const [d, set] of sets) d.producibleFields = set === 'open' ? undefined : set;
}

function loadDecoders(
  files: readonly RulesetFile[],
  problems: ProblemLog,
  guard: PatternGuard | undefined,
): { index: DecoderIndex; count: number; names: Set<string> } {
  const top: Decoder[] = [];
  const topByName = new Map<string, Decoder[]>();
  const names = new Set<string>();
  let count = 0;
  for (const file of files) {
    for (const el of readFile(file, problems)) {
      if (el.name !== 'decoder') {
        problems.warning(file.name, el.line, `element <${el.name}> outside a decoder was ignored`);
        continue;
      }
      const d = compileDecoder(el, file.name, problems, guard);
      if (!d) continue;
      if (d.parentName === undefined) {
        top.push(d);
        names.add(d.reportedName);
        const list = topByName.get(d.name) ?? [];
        list.push(d);
        topByName.set(d.name, list);
        count++;
        continue;
      }
      const parents = topByName.get(d.parentName);
      if (!parents) {
        problems.error(
          file.name,
          d.line,
          `decoder "${d.name}": parent "${d.parentName}" is not a top-level decoder loaded before it; decoder refused`,
        );
        continue;
      }
      if (d.parentName === d.name && !d.prematch && !d.regex && !d.plugin) {
        problems.warning(file.name, d.line, `decoder "${d.name}" is its own child and does nothing`);
      }
      for (const p of parents) {
        d.reportedName = d.useOwnName ? d.name : p.name;
        if (!d.typeDeclared) d.type = p.type;
        p.children.push(d);
        names.add(d.reportedName);
      }
      count++;
    }
  }
  // A plugin compiled into OSSEC runs for a matching decoder without children (OSSEC hands the
  // event to the children otherwise): such a decoder would match and extract nothing, so it is
  // refused; behind children the plugin never runs and nothing is lost.
  const runsPlugin = (d: Decoder, isTop: boolean): boolean =>
    d.unsupportedPlugin !== undefined && (!isTop || d.children.length === 0);
  const refusePlugin = (d: Decoder): void => {
    problems.error(
      d.file,
      d.line,
      `decoder "${d.name}": plugin ${d.unsupportedPlugin} is compiled into OSSEC and this engine does not have it; decoder refused`,
    );
    count--;
  };
  for (const d of top) {
    const kept = d.children.filter((c) => !runsPlugin(c, false));
    for (const c of d.children) if (runsPlugin(c, false)) refusePlugin(c);
    d.children.splice(0, d.children.length, ...kept);
  }
  for (let i = top.length - 1; i >= 0; i--) {
    const d = top[i] as Decoder;
    if (!runsPlugin(d, true)) continue;
    refusePlugin(d);
    top.splice(i, 1);
  }
  names.clear();
  for (const d of top) {
    names.add(d.reportedName);
    for (const c of d.children) names.add(c.reportedName);
  }
  for (const d of top) childGroups(d);
  fillProducibleFields(top);
  const programPatterns: Decoder[] = [];
  const withoutProgramName: Decoder[] = [];
  const exactNames = new Map<Decoder, string>();
  for (const d of top) {
    if (!d.programName) {
      withoutProgramName.push(d);
      continue;
    }
    const exact = EXACT_PROGRAM.exec(d.programName.source);
    if (exact && d.programName.syntax === 'osmatch') exactNames.set(d, (exact[1] as string).toLowerCase());
  }
  const byExactProgram = new Map<string, Decoder[]>();
  for (const name of new Set(exactNames.values())) byExactProgram.set(name, []);
  for (const d of top) {
    if (!d.programName) continue;
    const exact = exactNames.get(d);
    if (exact !== undefined) {
      byExactProgram.get(exact)?.push(d);
      continue;
    }
    programPatterns.push(d);
    for (const list of byExactProgram.values()) list.push(d);
  }
  const anchors = new Map<Decoder, ReadonlySet<string> | undefined>();
  for (const d of withoutProgramName)
    anchors.set(d, d.prematch ? firstCharacters(d.prematch.source, d.prematch.syntax) : undefined);
  const withoutProgramNameUnanchored = withoutProgramName.filter((d) => anchors.get(d) === undefined);
  const withoutProgramNameByFirstChar = new Map<string, Decoder[]>();
  for (const set of anchors.values()) {
    for (const c of set ?? []) {
      if (withoutProgramNameByFirstChar.has(c)) continue;
      withoutProgramNameByFirstChar.set(
        c,
        withoutProgramName.filter((d) => {
          const a = anchors.get(d);
          return a === undefined || a.has(c);
        }),
      );
    }
  }
  return {
    index: {
      programPatterns,
      byExactProgram,
      withoutProgramName,
      withoutProgramNameByFirstChar,
      withoutProgramNameUnanchored,
    },
    count,
    names,
  };
}

function loadRules(
  files: readonly RulesetFile[],
  lists: ReadonlyMap<string, CdbList>,
  decoderNames: ReadonlySet<string>,
  problems: ProblemLog,
  guard: PatternGuard | undefined,
): Rule[] {
  const ordered: Rule[] = [];
  const byId = new Map<number, number>();
  const add = (rule: Rule): void => {
    const at = byId.get(rule.id);
    if (at !== undefined) {
      const existing = ordered[at] as Rule;
      if (!rule.overwrite) {
        problems.error(
          rule.file,
          rule.line,
          `rule ${rule.id} is already defined at ${existing.file}:${existing.line}; duplicate refused`,
        );
        return;
      }
      // As OSSEC's OS_AddRuleInfo: the new definition takes the old one's place in the tree.
      ordered[at] = {
        ...rule,
        ifSid: existing.ifSid,
        ifGroup: existing.ifGroup,
        ifLevel: existing.ifLevel,
        category: existing.category,
      };
      return;
    }
    byId.set(rule.id, ordered.length);
    ordered.push(rule);
  };
  for (const file of files) {
    const visit = (el: XmlElement, groups: readonly string[]): void => {
      if (el.name === 'group') {
        const names = (el.attributes.name ?? '')
          .split(',')
          .map((g) => g.trim())
          .filter((g) => g.length > 0);
        for (const c of el.children) visit(c, [...groups, ...names]);
      } else if (el.name === 'rule') {
        const rule = compileRule(el, {
          file: file.name,
          groups,
          lists,
          decoderNames,
          problems,
          ...(guard ? { guard } : {}),
        });
        if (rule) add(rule);
      } else {
        problems.warning(file.name, el.line, `element <${el.name}> outside a rule was ignored`);
      }
    };
    for (const el of readFile(file, problems)) visit(el, []);
  }
  return ordered;
}

/** Gives every decoder and rule its literal filter and builds the scanner they refer to. */
function buildLiteralScanner(index: DecoderIndex, rules: Iterable<Rule>): LiteralScanner {
  const catalogue = new LiteralCatalogue();
  const seen = new Set<Decoder>();
  const visit = (d: Decoder): void => {
    if (seen.has(d)) return;
    seen.add(d);
    d.prematchFilter = catalogue.filter(d.prematch?.literals);
    d.prematchGate = gateOf([d.prematchFilter], catalogue.texts);
    d.regexFilter = catalogue.filter(d.regex?.literals);
    for (const c of d.children) visit(c);
  };
  for (const d of index.withoutProgramName) visit(d);
  for (const d of index.programPatterns) visit(d);
  for (const list of index.byExactProgram.values()) for (const d of list) visit(d);
  for (const r of rules) {
    const filters = [];
    for (const l of r.logLiterals) {
      const f = catalogue.filter(l.literals);
      if (f) {
        filters.push(f);
        l.checkedByEngine();
      }
    }
    r.logFilters = filters.length > 0 ? filters : undefined;
    r.literalGate = gateOf(filters, catalogue.texts);
  }
  return new LiteralScanner(catalogue.texts);
}

export interface RulesetOptions {
  /**
   * Runs each match of a pattern V8 can only run by backtracking, and disables its rule or
   * decoder when one takes too long (the agent times it; see pattern-guard.ts). Without it such
   * patterns run unguarded, bounded by their shape only.
   */
  readonly guard?: PatternGuard;
}

export function compileRuleset(input: RulesetInput, options: RulesetOptions = {}): RulesetResult {
  enableBacktrackingGuard();
  const problems = new ProblemLog();
  const lists = new Map<string, CdbList>();
  for (const l of input.lists ?? []) lists.set(l.name.replace(/^etc\/lists\//, ''), parseCdbList(l.content));
  const decoders = loadDecoders(input.decoders, problems, options.guard);
  const rules = loadRules(input.rules, lists, decoders.names, problems, options.guard);
  const tree = buildRuleTree(rules, problems);
  const correlationReaders = new Map<string, Rule[]>();
  const read = (key: string, rule: Rule): void => {
    correlationReaders.set(key, [...(correlationReaders.get(key) ?? []), rule]);
  };
  for (const r of tree.rulesById.values()) {
    if (r.ifMatchedSid !== undefined) read(`sid:${r.ifMatchedSid}`, r);
    else if (r.ifMatchedGroup !== undefined) read(`group:${r.ifMatchedGroup}`, r);
  }
  const literalScanner = buildLiteralScanner(decoders.index, tree.rulesById.values());
  return {
    ruleset: {
      literalScanner,
      decoderIndex: decoders.index,
      decoderCount: decoders.count,
      topRules: tree.topRules,
      rulesById: tree.rulesById,
      correlationReaders,
    },
    problems: problems.problems,
  };
}
