import { SEVERITIES } from '@bulwark/protocol';
import { managerModules } from '../modules/registry.js';
import { type CliResult, ok, usageError } from './cli-error.js';
import { type Command, type CommandInput, stringOption } from './command.js';
import { resolveComputerId } from './computer-names.js';
import { parseSince } from './duration.js';
import type { ManagerClient, Query } from './manager-client.js';

export const eventFilterOptions = {
  since: { type: 'string' },
  until: { type: 'string' },
  computer: { type: 'string' },
  module: { type: 'string' },
  severity: { type: 'string' },
  rule: { type: 'string' },
  type: { type: 'string' },
} as const satisfies Command['options'];

export const eventFilterHelp = [
  ['--since D|TIME', 'events newer than a duration ago (1h, 7d) or an ISO time'],
  ['--until D|TIME', 'events older than that'],
  ['--computer ID|NAME', 'events of one computer'],
  ['--module M', `one module: agent (the platform's own events), ${managerModules.map((m) => m.id).join(', ')}`],
  ['--severity S', `at least: ${SEVERITIES.join(', ')}`],
  ['--rule ID', 'events of one rule'],
  ['--type T', 'one kind of event (an unknown type is refused with the list of types)'],
] as const;

/** The filter options as the API's query (`from`, `to`, `computerId`, ...). */
export async function eventQuery(client: ManagerClient, input: CommandInput, now: Date): Promise<CliResult<Query>> {
  const query: Record<string, string | undefined> = {};
  for (const [option, param] of [
    ['since', 'from'],
    ['until', 'to'],
  ] as const) {
    const text = stringOption(input, option);
    if (text === undefined) continue;
    const time = parseSince(text, now);
    if (time === null) return usageError(`--${option} must be a duration (1h, 7d) or an ISO time, got "${text}"`);
    query[param] = time;
  }
  const computer = stringOption(input, 'computer');
  if (computer !== undefined) {
    const id = await resolveComputerId(client, computer);
    if (!id.ok) return id;
    query.computerId = id.value;
  }
  const severity = stringOption(input, 'severity');
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) {
    return usageError(`--severity must be one of ${SEVERITIES.join(', ')}, got "${severity}"`);
  }
  query.severity = severity;
  query.module = stringOption(input, 'module');
  query.ruleId = stringOption(input, 'rule');
  query.type = stringOption(input, 'type');
  return ok(query);
}
