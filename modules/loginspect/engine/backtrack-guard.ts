import { setFlagsFromString } from 'node:v8';

let enabled = false;

/**
 * Rules come from files anyone can edit, and PCRE2 patterns can backtrack catastrophically.
 * V8 can switch a regular expression to its linear-time engine once it has backtracked too
 * much; this turns that on for the process. It changes no result, only the worst-case time, and
 * is idempotent. (A process-wide flag is the one global the engine touches, on purpose.)
 */
export function enableBacktrackingGuard(): void {
  if (enabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  enabled = true;
}
