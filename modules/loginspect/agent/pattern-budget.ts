import type { AgentModuleContext } from '@bulwark/protocol';
import type { GuardedOwner, PatternGuard } from '../engine/index.js';
import type { SourceProblem } from './source-problem.js';

/** Default time one match of a backtracking pattern may take: the linear ones take well under 1 ms on a 64 KiB line. */
export const DEFAULT_PATTERN_BUDGET_MS = 100;

export interface PatternBudgetOptions {
  readonly budgetMs?: number;
  /** A monotonic clock in milliseconds (tests inject one); default performance.now. */
  readonly now?: () => number;
}

interface Disabled {
  readonly owner: GuardedOwner;
  readonly pattern: string;
  readonly elapsedMs: number;
}

/**
 * The agent's side of the engine's pattern guard (engine/pattern-guard.ts): times each match of a
 * pattern V8 can only run by backtracking, and the first that takes longer than the budget
 * disables its rule or decoder for as long as this ruleset runs. A match cannot be stopped
 * halfway (V8 offers no interrupt), so one slow match still costs its time once; the guard
 * makes sure it is only once, where the issue saw a line every restart stop the agent again.
 * Each disabled one is logged, told to the manager in a `pattern-disabled` event, counted
 * (`patternsDisabled`) and named in the status until the ruleset is replaced.
 */
export class PatternBudget {
  readonly #budgetMs: number;
  readonly #now: () => number;
  readonly #disabled: Disabled[] = [];
  #reported = 0;

  constructor(options: PatternBudgetOptions = {}) {
    this.#budgetMs = options.budgetMs ?? DEFAULT_PATTERN_BUDGET_MS;
    this.#now = options.now ?? (() => performance.now());
  }

  readonly guard: PatternGuard = (owner, pattern, match) => {
    const start = this.#now();
    const result = match();
    const elapsedMs = this.#now() - start;
    if (elapsedMs > this.#budgetMs && !owner.disabled) {
      owner.disabled = true;
      this.#disabled.push({ owner, pattern, elapsedMs });
    }
    return result;
  };

  get disabledCount(): number {
    return this.#disabled.length;
  }

  /** Tells what was disabled since the last call (cheap when nothing was). */
  report(context: Pick<AgentModuleContext, 'emit' | 'log'>): void {
    for (; this.#reported < this.#disabled.length; this.#reported++) {
      const d = this.#disabled[this.#reported] as Disabled;
      const problem = this.#describe(d);
      context.log.warn(`loginspect: ${problem.source} ${problem.reason}`);
      context.emit({
        module: 'loginspect',
        type: 'pattern-disabled',
        severity: 'medium',
        summary: `${problem.source} disabled: a pattern took ${Math.round(d.elapsedMs)} ms on one line`.slice(0, 2048),
        details: {
          kind: d.owner.kind,
          name: d.owner.name,
          file: d.owner.file,
          line: d.owner.line,
          pattern: d.pattern.slice(0, 1024),
          elapsedMs: Math.round(d.elapsedMs),
          budgetMs: this.#budgetMs,
        },
      });
    }
  }

  /** For the module status. */
  problems(): SourceProblem[] {
    return this.#disabled.map((d) => this.#describe(d));
  }

  #describe(d: Disabled): SourceProblem {
    const what = d.owner.kind === 'rule' ? `rule ${d.owner.name}` : `decoder "${d.owner.name}"`;
    return {
      source: what,
      reason: `disabled until the ruleset changes: its pattern ${JSON.stringify(d.pattern.slice(0, 200))} took ${Math.round(d.elapsedMs)} ms on one line (budget ${this.#budgetMs} ms; ${d.owner.file}:${d.owner.line})`,
    };
  }
}
