import { setFlagsFromString } from 'node:v8';

let enabled = false;

/**
 * Rules come from files anyone can edit, and PCRE2 patterns can backtrack catastrophically.
 * V8 can switch a regular expression to its linear-time engine once it has backtracked too
 * much; this turns that on for the process. It changes no result, only the worst-case time, and
 * is idempotent. (A process-wide flag is the one global the engine touches, on purpose.) The
 * second flag only makes the `l` flag known, which runsInLinearTime uses to ask V8 whether its
 * linear-time engine can run a pattern at all.
 */
export function enableBacktrackingGuard(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  setFlagsFromString('--enable-experimental-regexp-engine');
  enabled = true;
}

/**
 * Whether V8's linear-time engine can run this pattern, so the guard bounds it. It cannot with a
 * backreference, a lookaround or the `i` and `u` flags. Undefined when this V8 cannot tell.
 */
export function runsInLinearTime(source: string, flags: string): boolean | undefined {
  enableBacktrackingGuard();
  try {
    new RegExp(source, `${flags}l`);
    return true;
  } catch (error) {
    return /linear time/i.test((error as Error).message) ? false : undefined;
  }
}
