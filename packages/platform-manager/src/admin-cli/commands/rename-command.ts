import { rowOf } from '../api-calls.js';
import { type CliResult, ok, usageError } from '../cli-error.js';
import { type Command, stringOption } from '../command.js';
import type { ManagerClient } from '../manager-client.js';

/**
 * `<group> rename ID|NAME NEW_NAME [--description TEXT]` for a resource the API renames with
 * `PATCH <path> { name, description? }` (computers, policies); `pathOf` finds it by id or name.
 */
export function renameCommand(options: {
  readonly group: string;
  /** What the resource is called in messages, e.g. "computer". */
  readonly noun: string;
  readonly summary: string;
  readonly pathOf: (client: ManagerClient, idOrName: string) => Promise<CliResult<string>>;
}): Command {
  const { group, noun, summary, pathOf } = options;
  const title = noun[0]!.toUpperCase() + noun.slice(1);
  return {
    group,
    name: 'rename',
    args: 'ID|NAME NEW_NAME',
    summary,
    options: { description: { type: 'string' } },
    optionHelp: [['--description TEXT', 'also set its description']],
    positionals: { min: 2, max: 2 },
    async run({ client }, input) {
      const newName = input.positionals[1]!;
      if (newName.trim() === '') return usageError('the new name is empty');
      const path = await pathOf(client, input.positionals[0]!);
      if (!path.ok) return path;
      const description = stringOption(input, 'description');
      const body = description === undefined ? { name: newName } : { name: newName, description };
      const answer = await client.request('PATCH', path.value, { body });
      if (!answer.ok) return answer;
      const row = rowOf(answer.value.body, `the ${noun}`);
      if (!row.ok) return row;
      return ok({ json: row.value, text: `${title} ${String(row.value.id)} is now named ${newName}` });
    },
  };
}
