/** Something wrong in a ruleset file, reported with the place a user has to fix. */
export interface RulesetProblem {
  readonly file: string;
  readonly line: number;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export function formatProblem(p: RulesetProblem): string {
  return `${p.file}:${p.line}: ${p.severity}: ${p.message}`;
}

/** Collects problems while a ruleset compiles; one per refused decoder, rule or file. */
export class ProblemLog {
  readonly problems: RulesetProblem[] = [];
  error(file: string, line: number, message: string): void {
    this.problems.push({ file, line, severity: 'error', message });
  }
  warning(file: string, line: number, message: string): void {
    this.problems.push({ file, line, severity: 'warning', message });
  }
}
