import { describeIssues, NewEvent, SEVERITIES, type Severity, type ValidationIssue } from '@bulwark/protocol';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * The spool's per-event work outside SQLite: check the event against its schema, and turn it
 * into the JSON body stored and uploaded, once. It runs for every event a module emits (tens of
 * thousands a second under a log flood), so the checker is compiled once (the generic
 * `Value.Check` walks the schema on every call) and the body is written straight from the
 * caller's object: no numbered copy of the event is ever built.
 */

let check: TypeCheck<typeof NewEvent> | undefined;

const RANK: Readonly<Record<Severity, number>> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i])) as Record<
  Severity,
  number
>;

/** Severity order as a table lookup: the protocol's `atLeast` searches the list each time. */
export function severityRankOf(severity: Severity): number {
  return RANK[severity];
}

/**
 * Why the event does not match its schema, in words for the counters and logs; undefined when
 * it does (no result object per event: this runs for every one).
 */
export function eventProblem(event: unknown): string | undefined {
  check ??= TypeCompiler.Compile(NewEvent);
  if (check.Check(event)) return undefined;
  const issues: ValidationIssue[] = [];
  for (const error of check.Errors(event)) {
    issues.push({ path: error.path || '/', message: error.message });
    if (issues.length >= 20) break;
  }
  return describeIssues(issues);
}

/**
 * The stored body of a checked event: its JSON with `seq` (and `time`, when the module left it
 * out) added, which is the `AgentEvent` the manager receives. JSON.stringify of the event itself
 * skips the copy `{ ...event, seq, time }`; the schema forbids any other member, so `seq` cannot
 * be there twice, and the four required members mean the object text is never `{}`. An object
 * that is not plain (a class with `toJSON`) is copied first so that what is stored is what was
 * checked. Returns an Error for details JSON cannot hold (a cycle, a BigInt): such an event
 * would otherwise fail every commit of its batch.
 */
export function eventBody(event: NewEvent, seq: number, now: () => Date): string | Error {
  const proto = Object.getPrototypeOf(event);
  const plain = proto === Object.prototype || proto === null ? event : { ...event };
  let json: string;
  try {
    json = JSON.stringify(plain);
  } catch (error) {
    return new Error(`the event cannot be written as JSON: ${(error as Error).message}`);
  }
  const open = json.slice(0, -1);
  if (event.time === undefined) return `${open},"seq":${seq},"time":"${now().toISOString()}"}`;
  return `${open},"seq":${seq}}`;
}
