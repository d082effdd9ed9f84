import { COMMAND_NAME_PATTERN, type ManagerModule } from '@bulwark/protocol';
import { isRow, parsePositiveInteger, type Row, rowOf } from '../api-calls.js';
import { type CliResult, ok, usageError } from '../cli-error.js';
import type { Command, CommandContext, CommandInput, CommandOutput } from '../command.js';
import { stringOption } from '../command.js';
import { resolveComputerId } from '../computer-names.js';
import { formatFields, formatTable, formatTime } from '../table.js';

const MODULE_ID = new RegExp(COMMAND_NAME_PATTERN);

const OPTIONS = { rule: { type: 'string' }, limit: { type: 'string' } } as const;
const OPTION_HELP = [
  ['--rule R', "this snapshot's entries (file path or entity, and its attributes)"],
  ['--limit N', 'at most N entries (default 100, up to 10000)'],
] as const;

/** The manager's copies of one module's snapshots on a computer: the list, or one snapshot's entries. */
async function show(
  { client }: CommandContext,
  input: CommandInput,
  module: string,
): Promise<CliResult<CommandOutput>> {
  const id = await resolveComputerId(client, input.positionals[0]!);
  if (!id.ok) return id;
  if (!MODULE_ID.test(module)) return usageError(`"${module}" is not a module id (lower-case words joined by dashes)`);
  const rule = stringOption(input, 'rule');
  const path = `/api/computers/${id.value}/modules/${module}/snapshots`;
  if (rule === undefined) {
    const answer = await client.request('GET', path);
    if (!answer.ok) return answer;
    const rules =
      isRow(answer.value.body) && Array.isArray(answer.value.body.rules) ? answer.value.body.rules.filter(isRow) : [];
    const text = formatTable<Row>(
      [
        { header: 'rule', cell: (r) => r.ruleId },
        { header: 'entries', cell: (r) => r.entries },
        { header: 'kept', cell: (r) => (r.truncated ? `${String(r.stored)} (cut)` : r.stored) },
        { header: 'built', cell: (r) => formatTime(r.builtAt) },
        { header: 'received', cell: (r) => formatTime(r.receivedAt) },
      ],
      rules,
    );
    return ok({ json: rules, text });
  }
  const limit = parsePositiveInteger(stringOption(input, 'limit'), '--limit', 10_000);
  if (!limit.ok) return limit;
  const wanted = limit.value ?? 100;
  const items: Row[] = [];
  let summary: Row | undefined;
  let cursor: string | null = null;
  do {
    const answer = await client.request('GET', path, {
      query: { rule, limit: Math.min(500, wanted - items.length), cursor },
    });
    if (!answer.ok) return answer;
    const body = rowOf(answer.value.body, 'the snapshot');
    if (!body.ok) return body;
    summary = Array.isArray(body.value.rules) && isRow(body.value.rules[0]) ? body.value.rules[0] : summary;
    if (Array.isArray(body.value.items)) items.push(...body.value.items.filter(isRow));
    cursor = typeof body.value.nextCursor === 'string' ? body.value.nextCursor : null;
  } while (cursor !== null && items.length < wanted);
  const head = formatFields([
    ['Rule', rule],
    ['Built', formatTime(summary?.builtAt)],
    ['Entries', summary?.entries],
    ['Kept by the manager', summary?.stored],
    ...(summary?.note ? ([['Note', summary.note]] as const) : []),
  ]);
  const table = formatTable<Row>(
    [
      { header: 'entity', cell: (e) => e.key },
      { header: 'attributes', cell: (e) => e.attributes },
    ],
    items,
  );
  const more = cursor !== null ? `\n(first ${items.length} shown; --limit for more)` : '';
  return ok({ json: { ...summary, items }, text: `${head}\n\n${table}${more}` });
}

const snapshot: Command = {
  group: 'computers',
  name: 'snapshot',
  args: 'ID|NAME',
  summary: "The manager's copy of a module's snapshots on the computer: the list, or one's entries",
  options: { module: { type: 'string' }, ...OPTIONS },
  optionHelp: [['--module M', 'the module id'], ...OPTION_HELP],
  positionals: { min: 1, max: 1 },
  run: (context, input) => {
    const module = stringOption(input, 'module');
    if (module === undefined) return Promise.resolve(usageError('--module is required'));
    return show(context, input, module);
  },
};

/** `computers snapshot`, and per module with snapshots the verb its users know (`computers baseline`). */
export function snapshotCommands(modules: readonly Pick<ManagerModule, 'id' | 'snapshots'>[]): Command[] {
  const verbs: Command[] = [snapshot];
  for (const module of modules) {
    if (module.snapshots === undefined) continue;
    verbs.push({
      group: 'computers',
      name: module.snapshots.noun,
      args: 'ID|NAME',
      summary: module.snapshots.summary,
      options: OPTIONS,
      optionHelp: OPTION_HELP,
      positionals: { min: 1, max: 1 },
      run: (context, input) => show(context, input, module.id),
    });
  }
  return verbs;
}
