import type { Decoder } from './decoder.js';
import type { Rule } from './rule.js';

/** Sibling lists shorter than this are walked as they are. */
const MIN_LIST = 4;
const MAX_DECODERS_REMEMBERED = 1024;
const NO_FIELDS: ReadonlySet<string> = new Set();

/**
 * The rules of a sibling list (the top rules, or one rule's children) that can match an event
 * from one decoder: those whose `<decoded_as>` and `<category>` accept the decoder and whose field
 * checks read fields the decoder can produce. These checks fail on every such event otherwise,
 * and a rule has no effect before its checks pass, so leaving the others out changes no verdict.
 * Every syslog line met the templates of the other categories and dozens of generic rules that
 * test a field of some other product's decoder (Zeek, FortiMail, Windows...).
 */
export class AdmissionTable {
  readonly #name: string | undefined;
  readonly #type: string;
  /** undefined: any field may be there (a JSON plugin). */
  readonly #fields: ReadonlySet<string> | undefined;
  readonly #lists = new Map<readonly Rule[], readonly Rule[]>();

  constructor(decoder: Decoder | undefined) {
    this.#name = decoder?.reportedName;
    this.#type = decoder?.type ?? 'syslog';
    this.#fields = decoder === undefined ? NO_FIELDS : decoder.producibleFields;
  }

  admitted(list: readonly Rule[]): readonly Rule[] {
    if (list.length < MIN_LIST) return list;
    let found = this.#lists.get(list);
    if (found === undefined) {
      const kept = list.filter((r) => this.#admits(r));
      // The list itself when nothing is left out, so caches keyed by list are shared.
      found = kept.length === list.length ? list : kept;
      this.#lists.set(list, found);
    }
    return found;
  }

  #admits(rule: Rule): boolean {
    if (rule.decodedAs !== undefined && rule.decodedAs !== this.#name) return false;
    if (rule.requiredCategory !== undefined && rule.requiredCategory !== this.#type) return false;
    const fields = this.#fields;
    if (fields === undefined) return true;
    return rule.requiredFields.every((names) => names.some((n) => fields.has(n)));
  }
}

/** One admission table per decoder, made when first needed; bounded. One instance per engine. */
export class DecoderAdmission {
  readonly #tables = new Map<Decoder | undefined, AdmissionTable>();

  tableFor(decoder: Decoder | undefined): AdmissionTable {
    let table = this.#tables.get(decoder);
    if (table === undefined) {
      if (this.#tables.size >= MAX_DECODERS_REMEMBERED) this.#tables.clear();
      table = new AdmissionTable(decoder);
      this.#tables.set(decoder, table);
    }
    return table;
  }
}
