/**
 * One pass over a log for every literal text the ruleset's prematches and `<match>`/`<regex>`
 * checks require (an Aho–Corasick automaton). Before it, each of the ~50–80 decoders and rules a
 * line meets searched the line for its own texts (`includes` after `includes`); now each asks
 * whether its texts were seen, an array lookup.
 *
 * Only a necessary condition is derived: a decoder or rule is skipped when none of its pattern's
 * alternatives has all its texts in the line, and otherwise runs exactly as before. Texts are
 * lower-cased ASCII of two characters or more, cut to ten, or a single punctuation character (a
 * rare `%`, `|` or `,` rules out decoders that have no longer text); other texts are left out of
 * their requirement (fewer or shorter requirements are still necessary conditions), and a
 * non-ASCII character of the line resets the automaton, which is right since no text contains one.
 */

/** For each alternative of a pattern, the ids of the texts that must all occur; any alternative suffices. */
export type LiteralFilter = readonly Int32Array[];

const ASCII = 128;
/**
 * Longer texts are cut to this many characters: any part of a required text is required too, ten
 * characters are as selective in logs, and the automaton stays small enough to sit in cache.
 */
const MAX_TEXT = 10;

/** ASCII punctuation (printable, not a letter, digit or space) or a tab. */
function isPunctuation(c: number): boolean {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) || c === 9;
}

/** Collects texts and assigns each a stable id; duplicates share one. */
export class LiteralCatalogue {
  readonly texts: string[] = [];
  readonly #ids = new Map<string, number>();

  /**
   * The id of a lower-cased text (or of its first MAX_TEXT characters), or -1 when it is not worth
   * or not possible to scan for: a single letter, digit or space (in nearly every line) or not ASCII.
   */
  add(whole: string): number {
    if (whole.length === 0 || (whole.length === 1 && !isPunctuation(whole.charCodeAt(0)))) return -1;
    const text = whole.length > MAX_TEXT ? whole.slice(0, MAX_TEXT) : whole;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= ASCII) return -1;
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.texts.length;
      this.texts.push(text);
      this.#ids.set(text, id);
    }
    return id;
  }

  /**
   * A filter for a pattern whose match needs, for some alternative, every text of that
   * alternative in the lower-cased subject; undefined when some alternative needs nothing
   * this scanner can see (the pattern must then always be tried).
   */
  filter(alternatives: readonly (readonly string[])[] | undefined): LiteralFilter | undefined {
    if (!alternatives || alternatives.length === 0) return undefined;
    const out: Int32Array[] = [];
    for (const texts of alternatives) {
      const ids: number[] = [];
      for (const t of texts) {
        const id = this.add(t);
        if (id >= 0 && !ids.includes(id)) ids.push(id);
      }
      if (ids.length === 0) return undefined;
      out.push(Int32Array.from(ids));
    }
    return out;
  }
}

/**
 * One text that any line passing all of `filters` contains, or -1: the longest text of a
 * single-alternative filter. A caller tests it before visiting a rule or decoder at all, since
 * most of those it meets are ruled out by their texts and the full filter takes several reads.
 */
export function gateOf(filters: readonly (LiteralFilter | undefined)[], texts: readonly string[]): number {
  let gate = -1;
  for (const f of filters) {
    if (f === undefined || f.length !== 1) continue;
    for (const id of f[0] as Int32Array)
      if (gate === -1 || (texts[id] as string).length > (texts[gate] as string).length) gate = id;
  }
  return gate;
}

/** Which texts the last scanned line contained: a stamp per text, so nothing is cleared per line. */
export class LiteralHits {
  readonly #stamps: Uint32Array;
  #generation = 0;

  constructor(size: number) {
    this.#stamps = new Uint32Array(Math.max(size, 1));
  }

  /** Starts a new line: every text counts as absent. */
  reset(): void {
    this.#generation++;
    if (this.#generation === 0xffffffff) {
      this.#stamps.fill(0);
      this.#generation = 1;
    }
  }

  mark(id: number): void {
    this.#stamps[id] = this.#generation;
  }

  has(id: number): boolean {
    return this.#stamps[id] === this.#generation;
  }

  /** True when some alternative of the filter has all its texts in the line. */
  passes(filter: LiteralFilter): boolean {
    const stamps = this.#stamps;
    const g = this.#generation;
    for (let a = 0; a < filter.length; a++) {
      const ids = filter[a] as Int32Array;
      let all = true;
      for (let i = 0; i < ids.length; i++) {
        if (stamps[ids[i] as number] !== g) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
    return false;
  }
}

/** The compiled automaton: a dense transition table over the characters the texts use. */
export class LiteralScanner {
  readonly size: number;
  /** Character code (< 128) to column; 0 for characters no text contains. */
  readonly #column: Uint8Array;
  readonly #columns: number;
  /**
   * next[state * columns + column], with `#emits` added when the target state ends some text
   * (itself or through its dictionary link), so the common transition reads nothing else. 16 bits
   * when the states fit (half the cache footprint).
   */
  readonly #next: Uint16Array | Int32Array;
  readonly #emits: number;
  /** The text ending at this state, or -1. */
  readonly #output: Int32Array;
  /** The nearest proper suffix state that ends a text, or -1. */
  readonly #dictionary: Int32Array;

  constructor(texts: readonly string[]) {
    this.size = texts.length;
    const column = new Uint8Array(ASCII);
    let columns = 1;
    for (const t of texts)
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        if (column[c] === 0) column[c] = columns++;
      }
    // Upper-case ASCII letters take their lower-case column: texts are lower-case, and the line
    // need not be lower-cased first when it is ASCII.
    for (let c = 65; c <= 90; c++) column[c] = column[c + 32] as number;
    this.#column = column;
    this.#columns = columns;

    // The trie, with -1 for missing edges.
    const edges: number[] = new Array(columns).fill(-1);
    const output: number[] = [-1];
    for (let id = 0; id < texts.length; id++) {
      const t = texts[id] as string;
      let s = 0;
      for (let i = 0; i < t.length; i++) {
        const k = s * columns + (column[t.charCodeAt(i)] as number);
        let n = edges[k] as number;
        if (n === -1) {
          n = output.length;
          output.push(-1);
          for (let j = 0; j < columns; j++) edges.push(-1);
          edges[k] = n;
        }
        s = n;
      }
      output[s] = id;
    }
    const states = output.length;
    const next = Int32Array.from(edges);
    const fail = new Int32Array(states);
    const dictionary = new Int32Array(states).fill(-1);
    // Breadth first: each state's failure link is known before its children's.
    const queue = new Int32Array(states);
    let head = 0;
    let tail = 0;
    for (let c = 0; c < columns; c++) {
      const n = next[c] as number;
      if (n === -1) next[c] = 0;
      else {
        fail[n] = 0;
        queue[tail++] = n;
      }
    }
    // Column 0 (characters in no text) always returns to the root.
    while (head < tail) {
      const s = queue[head++] as number;
      const f = fail[s] as number;
      dictionary[s] = (output[f] as number) >= 0 ? f : (dictionary[f] as number);
      for (let c = 0; c < columns; c++) {
        const k = s * columns + c;
        const n = next[k] as number;
        const viaFail = next[f * columns + c] as number;
        if (n === -1 || c === 0) next[k] = c === 0 ? 0 : viaFail;
        else {
          fail[n] = viaFail;
          queue[tail++] = n;
        }
      }
    }
    const emits = states < 0x8000 ? 0x8000 : 0x40000000;
    for (let k = 0; k < next.length; k++) {
      const n = next[k] as number;
      if ((output[n] as number) >= 0 || (dictionary[n] as number) > 0) next[k] = n + emits;
    }
    this.#emits = emits;
    this.#next = emits === 0x8000 ? Uint16Array.from(next) : next;
    this.#output = Int32Array.from(output);
    this.#dictionary = dictionary;
  }

  /**
   * Marks in `hits` (after resetting it) every text that occurs in `toLower(text)`. An ASCII line
   * is scanned as it is, upper-case letters folded by the column table, since toLowerCase maps
   * exactly A-Z to a-z there; a line with another character is scanned again lower-cased
   * (toLowerCase can turn some non-ASCII characters into ASCII ones, such as the Kelvin sign).
   */
  scan(text: string, hits: LiteralHits, toLower: (s: string) => string): void {
    hits.reset();
    if (this.#scan(text, hits, true)) return;
    hits.reset();
    this.#scan(toLower(text), hits, false);
  }

  /** False when `asciiOnly` and the text has a non-ASCII character. */
  #scan(text: string, hits: LiteralHits, asciiOnly: boolean): boolean {
    const column = this.#column;
    const columns = this.#columns;
    const next = this.#next;
    const output = this.#output;
    const dictionary = this.#dictionary;
    const emits = this.#emits;
    let s = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let col = 0;
      if (c < ASCII) col = column[c] as number;
      else if (asciiOnly) return false;
      const t = next[s * columns + col] as number;
      if (t < emits) {
        s = t;
        continue;
      }
      s = t - emits;
      const own = output[s] as number;
      if (own >= 0) hits.mark(own);
      for (let d = dictionary[s] as number; d > 0; d = dictionary[d] as number) hits.mark(output[d] as number);
    }
    return true;
  }
}
