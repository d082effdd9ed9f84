import type { ValidationIssue } from '@bulwark/protocol';
import { type LogSources, multilineRegExp } from '../engine/log-sources.js';

/**
 * The module's `checkSetting`: what the settings schema cannot see. Today the multi-line patterns
 * of `sources.files` (JavaScript regular expressions the agent compiles), the only regular
 * expressions in the sources; a bad one is refused when saved instead of showing up later as a
 * source the agent does not follow. Called with a value that already fits the schema.
 */
export function checkLogInspectSetting(property: string, value: unknown): ValidationIssue[] {
  if (property !== 'sources') return [];
  const issues: ValidationIssue[] = [];
  (value as LogSources).files.forEach((entry, index) => {
    if (typeof entry === 'string' || entry.multiline === undefined) return;
    const pattern = entry.multiline.pattern;
    try {
      multilineRegExp(pattern);
    } catch (error) {
      issues.push({
        path: `/files/${index}/multiline/pattern`,
        message:
          error instanceof SyntaxError
            ? `${JSON.stringify(pattern)} is not a valid JavaScript regular expression (${error.message}); the agent could not join the lines of ${entry.path}`
            : `${JSON.stringify(pattern)} is refused: ${(error as Error).message}; the agent would not join the lines of ${entry.path}`,
      });
    }
  });
  return issues;
}
