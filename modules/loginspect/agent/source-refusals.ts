import type { AgentModuleContext } from '@bulwark/protocol';
import type { SourceProblem } from './source-problem.js';

/**
 * Tells the manager, in a `source-refused` event, about each path this host refused to read for
 * it (outside the allowed places): once per path and reason until reset (a new configuration).
 */
export class SourceRefusals {
  readonly #context: Pick<AgentModuleContext, 'emit'>;
  readonly #told = new Set<string>();

  constructor(context: Pick<AgentModuleContext, 'emit'>) {
    this.#context = context;
  }

  reset(): void {
    this.#told.clear();
  }

  /** Tells the refusals among a source's problems. */
  tellAll(problems: readonly SourceProblem[]): void {
    for (const p of problems) if (p.reason.startsWith('refused:')) this.tell(p);
  }

  tell(problem: SourceProblem): void {
    const path = problem.path ?? problem.source;
    const key = `${path}\n${problem.reason}`;
    if (this.#told.has(key)) return;
    this.#told.add(key);
    this.#context.emit({
      module: 'loginspect',
      type: 'source-refused',
      severity: 'medium',
      summary: `log source not read: ${path}`.slice(0, 2048),
      details: { source: problem.source, path, reason: problem.reason },
    });
  }
}
