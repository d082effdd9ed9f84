/**
 * Aho–Corasick over byte strings (latin1, one character per byte): finds every pattern that
 * occurs in a text in one pass, whatever the number of patterns. The IPS keeps one per buffer,
 * built over one literal of each rule (its fast_pattern or longest content, in lower case), so
 * 10,000 rules cost one scan plus the few rules whose literal is present.
 */
export class MultiPatternMatcher {
  /** Transitions keyed `state * 256 + byte`: one flat map stays compact with many states. */
  readonly #next = new Map<number, number>();
  readonly #fail: number[] = [0];
  /** Pattern ids ending at a state (its own only); `#outputLink` chains to shorter ones. */
  readonly #output: (number[] | undefined)[] = [undefined];
  readonly #outputLink: number[] = [0];
  readonly patternCount: number;

  /** `patterns[id]` is found as `id`; empty patterns are ignored. */
  constructor(patterns: readonly string[]) {
    this.patternCount = patterns.length;
    const children: number[][] = [[]];
    patterns.forEach((pattern, id) => {
      if (pattern.length === 0) return;
      let state = 0;
      for (let i = 0; i < pattern.length; i++) {
        const code = pattern.charCodeAt(i) & 0xff;
        const key = state * 256 + code;
        let to = this.#next.get(key);
        if (to === undefined) {
          to = this.#fail.length;
          this.#next.set(key, to);
          this.#fail.push(0);
          this.#output.push(undefined);
          this.#outputLink.push(0);
          children.push([]);
          (children[state] as number[]).push(code);
        }
        state = to;
      }
      const out = this.#output[state];
      if (out === undefined) this.#output[state] = [id];
      else out.push(id);
    });
    // Breadth first: a state's failure link is the longest proper suffix that is also a prefix.
    const queue: number[] = [];
    for (const code of children[0] as number[]) queue.push(this.#next.get(code) as number);
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      for (const code of children[state] as number[]) {
        const child = this.#next.get(state * 256 + code) as number;
        let f = this.#fail[state] as number;
        let target = this.#next.get(f * 256 + code);
        while (target === undefined && f !== 0) {
          f = this.#fail[f] as number;
          target = this.#next.get(f * 256 + code);
        }
        const failTo = target !== undefined && target !== child ? target : 0;
        this.#fail[child] = failTo;
        this.#outputLink[child] = this.#output[failTo] !== undefined ? failTo : (this.#outputLink[failTo] as number);
        queue.push(child);
      }
    }
  }

  get stateCount(): number {
    return this.#fail.length;
  }

  /** Calls `found` with the id of each pattern occurrence (an id may repeat). */
  scan(text: string, found: (id: number) => void): void {
    let state = 0;
    const next = this.#next;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i) & 0xff;
      for (;;) {
        const to = next.get(state * 256 + code);
        if (to !== undefined) {
          state = to;
          break;
        }
        if (state === 0) break;
        state = this.#fail[state] as number;
      }
      let o = this.#output[state] !== undefined ? state : (this.#outputLink[state] as number);
      while (o !== 0) {
        for (const id of this.#output[o] as number[]) found(id);
        o = this.#outputLink[o] as number;
      }
    }
  }
}
