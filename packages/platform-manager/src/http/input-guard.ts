import type { FastifyInstance } from 'fastify';
import { type ProblemIssue, sendProblem } from './problem-types.js';

/** Deeper JSON than this is refused: nothing the API takes nests that far, and serialising it would recurse. */
export const MAX_JSON_DEPTH = 64;

/** U+0000, or a UTF-16 surrogate without its partner: neither survives every store the same way. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored, or null. */
function stringProblem(text: string): string | null {
  const match = UNSTORABLE.exec(text);
  if (match === null) return null;
  return match[0] === '\u0000'
    ? `holds a NUL character (U+0000) at offset ${match.index}; remove it`
    : `holds a lone UTF-16 surrogate at offset ${match.index}; send valid Unicode`;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * The first problem in a parsed request part: JSON nested deeper than MAX_JSON_DEPTH, or a string
 * (value or member name) no store keeps as sent. Iterative, so depth itself cannot overflow the stack.
 */
export function inputProblem(value: unknown, root: string, opaque?: RegExp): ProblemIssue | null {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { value: item, path, depth } = stack.pop()!;
    if (typeof item === 'string') {
      if (opaque?.test(path)) continue;
      const problem = stringProblem(item);
      if (problem !== null) return { path, message: problem };
      continue;
    }
    if (item === null || typeof item !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) {
      return { path, message: `is nested more than ${MAX_JSON_DEPTH} levels deep` };
    }
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push({ value: item[i], path: `${path}/${i}`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(item);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const keyProblem = opaque?.test(path) ? null : stringProblem(key);
      if (keyProblem !== null) return { path: `${path}/${escapePointer(key)}`, message: `member name ${keyProblem}` };
      stack.push({
        value: (item as Record<string, unknown>)[key],
        path: `${path}/${escapePointer(key)}`,
        depth: depth + 1,
      });
    }
  }
  return null;
}

/**
 * Checks every request's parsed body, query string and path parameters once, before the route's
 * schema, the same way whatever store is behind: PostgreSQL refuses NUL in text and SQLite keeps
 * it, and both replace lone surrogates silently; refusing them here gives one answer (400) for both.
 * `opaqueStrings` names paths stored only as JSON text, where JSON escapes both (an event's
 * details quote log lines as they were): there only the depth is checked.
 */
export function installInputGuard(app: FastifyInstance, options: { readonly opaqueStrings?: RegExp } = {}): void {
  app.addHook('preValidation', async (request, reply) => {
    const parts: [string, unknown][] = [
      ['params', request.params],
      ['querystring', request.query],
      ['body', request.body],
    ];
    for (const [part, value] of parts) {
      const issue = inputProblem(value, part, options.opaqueStrings);
      if (issue !== null)
        return sendProblem(reply, 'validation', `the ${part} is not valid: ${issue.path} ${issue.message}`, [issue]);
    }
  });
}
