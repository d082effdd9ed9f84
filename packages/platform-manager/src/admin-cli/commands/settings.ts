import { itemsOf, type Row } from '../api-calls.js';
import { type CliResult, ExitCode, fail, ok, usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { isSettingKey, parseSettingValue, settingSourceText, settingValueText } from '../setting-value.js';
import { formatTable } from '../table.js';
import { targetOptionHelp, targetOptions, targetPath } from './policy-or-computer.js';

const targetHelp = targetOptionHelp('the settings of');

function keySegment(text: string): CliResult<string> {
  if (!isSettingKey(text))
    return usageError(`"${text}" is not a setting key (<module>.<name>, e.g. platform.networkEngineMode)`);
  return ok(encodeURIComponent(text));
}

const get: Command = {
  group: 'settings',
  name: 'get',
  args: '[KEY]',
  summary: 'Effective settings of a policy or computer, and where each value comes from',
  options: targetOptions,
  optionHelp: targetHelp,
  positionals: { min: 0, max: 1 },
  async run({ client }, input) {
    const path = await targetPath(client, input);
    if (!path.ok) return path;
    const key = input.positionals[0];
    if (key !== undefined) {
      const checked = keySegment(key);
      if (!checked.ok) return checked;
    }
    const answer = await client.request('GET', `${path.value}/settings`);
    if (!answer.ok) return answer;
    let entries = itemsOf(answer.value.body);
    if (key !== undefined) {
      entries = entries.filter((e) => e.key === key);
      if (entries.length === 0)
        return fail(ExitCode.notFound, `no setting ${key}`, 'List them with: bulwark settings get --policy ID');
    }
    const text = formatTable<Row>(
      [
        { header: 'key', cell: (e) => e.key },
        { header: 'value', cell: (e) => settingValueText(e.value) },
        { header: 'source', cell: settingSourceText },
      ],
      entries,
    );
    return ok({ json: key !== undefined ? entries[0] : entries, text });
  },
};

const set: Command = {
  group: 'settings',
  name: 'set',
  args: 'KEY VALUE',
  summary: 'Override a setting on a policy or computer (VALUE is JSON, or else a string)',
  options: targetOptions,
  optionHelp: targetHelp,
  positionals: { min: 2, max: 2 },
  async run({ client }, input) {
    const path = await targetPath(client, input);
    if (!path.ok) return path;
    const key = keySegment(input.positionals[0]!);
    if (!key.ok) return key;
    const value = parseSettingValue(input.positionals[1]!);
    const answer = await client.request('PUT', `${path.value}/settings/${key.value}`, { body: { value } });
    if (!answer.ok) return answer;
    return ok({
      json: answer.value.body ?? { key: input.positionals[0], value, overridden: true },
      text: `${input.positionals[0]} = ${settingValueText(value)} (Overridden)`,
    });
  },
};

const unset: Command = {
  group: 'settings',
  name: 'unset',
  args: 'KEY',
  summary: 'Remove an override: the value is inherited again',
  options: targetOptions,
  optionHelp: targetHelp,
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const path = await targetPath(client, input);
    if (!path.ok) return path;
    const key = keySegment(input.positionals[0]!);
    if (!key.ok) return key;
    const answer = await client.request('DELETE', `${path.value}/settings/${key.value}`);
    if (!answer.ok) return answer;
    return ok({
      json: answer.value.body ?? { key: input.positionals[0], overridden: false },
      text: `${input.positionals[0]} is inherited again`,
    });
  },
};

export const settingCommands: readonly Command[] = [get, set, unset];
