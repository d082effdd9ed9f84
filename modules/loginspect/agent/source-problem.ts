/** A log source, or one path of it, that cannot be read, with a reason an operator can act on. */
export interface SourceProblem {
  /** The configured source: a path or glob, `journald`, `command:<name>`. */
  readonly source: string;
  /** The path concerned, when it differs from the source (one match of a glob). */
  readonly path?: string;
  readonly reason: string;
}

/** One line per problem for the module status, which has room for 1,024 characters. */
export function describeProblems(problems: readonly SourceProblem[], limit = 1024): string {
  if (problems.length === 0) return '';
  const parts = problems.map((p) => `${p.path ?? p.source}: ${p.reason}`);
  const head = `${problems.length} log source problem${problems.length === 1 ? '' : 's'}: `;
  let text = head;
  for (let i = 0; i < parts.length; i++) {
    const next = `${i > 0 ? '; ' : ''}${parts[i]}`;
    const more = ` (+${parts.length - i} more)`;
    if (text.length + next.length + (i < parts.length - 1 ? more.length + 2 : 0) > limit) {
      return `${text}${more}`.slice(0, limit);
    }
    text += next;
  }
  return text;
}
