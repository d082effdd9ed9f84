/**
 * The conformance cases known not to pass, kept in the repository (known-outcomes.json, written
 * by `npm run conformance:loginspect -- --write-expected FILE`) so that CI fails on a new failure
 * rather than only on a pass rate, which a new failure can hide behind a fixed one.
 */
export interface ExpectedOutcomes {
  /** Cases as "file.ini [section] log N pass". */
  readonly failing: readonly string[];
  readonly unsupported: readonly string[];
}

export function parseExpected(text: string): ExpectedOutcomes {
  const json = JSON.parse(text) as Partial<ExpectedOutcomes>;
  const list = (v: unknown, name: string): string[] => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
      throw new Error(`known outcomes: "${name}" must be a list of case names`);
    return v as string[];
  };
  return { failing: list(json.failing, 'failing'), unsupported: list(json.unsupported, 'unsupported') };
}

/**
 * New failures: cases failing or unsupported now that the file does not list as either (a case
 * moving between the two lists is no news). Now passing: listed cases that pass now.
 */
export function compareWithExpected(
  expected: ExpectedOutcomes,
  actual: ExpectedOutcomes,
): { newFailures: string[]; nowPassing: string[] } {
  const known = new Set([...expected.failing, ...expected.unsupported]);
  const notPassing = new Set([...actual.failing, ...actual.unsupported]);
  return {
    newFailures: [...notPassing].filter((c) => !known.has(c)),
    nowPassing: [...known].filter((c) => !notPassing.has(c)),
  };
}
