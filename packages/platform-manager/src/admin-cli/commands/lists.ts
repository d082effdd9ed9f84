import { readFile } from 'node:fs/promises';
import type { ManagerModule } from '@bulwark/protocol';
import { itemsOf } from '../api-calls.js';
import { type CliResult, ExitCode, fail, ok, usageError } from '../cli-error.js';
import { type Command, type CommandContext, type CommandInput, flag, stringOption } from '../command.js';
import { isSettingKey, settingSourceText } from '../setting-value.js';
import { targetOptionHelp, targetOptions, targetPath } from './policy-or-computer.js';

/**
 * `bulwark lists`: settings whose value is a list of strings (block lists, allow lists, exception
 * lists), shown, changed an entry at a time, or filled from a file through the module's importer.
 * A change at a level that inherits the list starts from the inherited entries (copy-down): the
 * override is the whole list, as every setting override is.
 */

interface ListState {
  readonly path: string;
  readonly key: string;
  readonly entries: string[];
  readonly source: string;
}

async function current(context: CommandContext, input: CommandInput): Promise<CliResult<ListState>> {
  const path = await targetPath(context.client, input);
  if (!path.ok) return path;
  const key = input.positionals[0]!;
  if (!isSettingKey(key)) return usageError(`"${key}" is not a setting key (<module>.<name>, e.g. webrep.block)`);
  const answer = await context.client.request('GET', `${path.value}/settings`);
  if (!answer.ok) return answer;
  const entry = itemsOf(answer.value.body).find((e) => e.key === key);
  if (entry === undefined) return fail(ExitCode.notFound, `no setting ${key}`);
  const value = entry.value;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    return usageError(`${key} is not a list of strings; use "bulwark settings set"`);
  return ok({ path: path.value, key, entries: value as string[], source: settingSourceText(entry) });
}

async function store(context: CommandContext, state: ListState, entries: string[]): Promise<CliResult<unknown>> {
  const answer = await context.client.request('PUT', `${state.path}/settings/${encodeURIComponent(state.key)}`, {
    body: { value: entries },
  });
  return answer.ok ? ok(answer.value.body) : answer;
}

const show: Command = {
  group: 'lists',
  name: 'show',
  args: 'KEY',
  summary: 'The entries of a list setting at a policy or computer, and where the list comes from',
  options: targetOptions,
  optionHelp: targetOptionHelp('the list of'),
  positionals: { min: 1, max: 1 },
  async run(context, input) {
    const state = await current(context, input);
    if (!state.ok) return state;
    const { key, entries, source } = state.value;
    return ok({
      json: { key, entries, source },
      text: `${key} (${entries.length} entries; ${source})\n${entries.map((e) => `  ${e}`).join('\n')}`,
    });
  },
};

function change(name: 'add' | 'remove'): Command {
  return {
    group: 'lists',
    name,
    args: 'KEY ENTRY...',
    summary: name === 'add' ? 'Add entries to a list setting' : 'Remove entries from a list setting',
    options: targetOptions,
    optionHelp: targetOptionHelp(name === 'add' ? 'add to the list of' : 'remove from the list of'),
    positionals: { min: 2, max: 1000 },
    async run(context, input) {
      const state = await current(context, input);
      if (!state.ok) return state;
      const given = input.positionals.slice(1);
      const before = state.value.entries;
      let after: string[];
      if (name === 'add') after = [...before, ...given.filter((e, i) => !before.includes(e) && given.indexOf(e) === i)];
      else {
        const missing = given.filter((e) => !before.includes(e));
        if (missing.length > 0)
          return fail(
            ExitCode.notFound,
            `not in ${state.value.key}: ${missing.join(', ')}`,
            `bulwark lists show ${state.value.key}`,
          );
        after = before.filter((e) => !given.includes(e));
      }
      const stored = await store(context, state.value, after);
      if (!stored.ok) return stored;
      return ok({
        json: { key: state.value.key, entries: after },
        text: `${state.value.key}: ${after.length} entries (${name === 'add' ? '+' : '-'}${Math.abs(after.length - before.length)})`,
      });
    },
  };
}

function importCommand(modules: readonly Pick<ManagerModule, 'id' | 'listImport'>[]): Command {
  const help = modules.flatMap((m) => (m.listImport ? m.listImport.optionHelp : []));
  const formats = [...new Set(modules.flatMap((m) => m.listImport?.formats ?? []))];
  return {
    group: 'lists',
    name: 'import',
    args: 'KEY FILE',
    summary: 'Add the entries of a file to a list setting, read by the module in the given format',
    options: {
      ...targetOptions,
      format: { type: 'string' },
      column: { type: 'string' },
      'skip-invalid': { type: 'boolean' },
    },
    optionHelp: [
      ...targetOptionHelp('add to the list of'),
      ['--format F', `how the file is written (${formats.join(', ') || 'none'}); default the module's first`],
      ['--column N|NAME', 'csv: the column holding the entries (1-based number or header name)'],
      ['--skip-invalid', 'take the valid lines of a file with invalid ones (each is still listed)'],
      ...help,
    ],
    positionals: { min: 2, max: 2 },
    async run(context, input) {
      const key = input.positionals[0]!;
      const module = modules.find((m) => key.startsWith(`${m.id}.`));
      const importer = module?.listImport;
      if (importer === undefined) return usageError(`no module reads files into ${key}`);
      const format = stringOption(input, 'format') ?? importer.formats[0]!;
      if (!importer.formats.includes(format))
        return usageError(`--format must be one of ${importer.formats.join(', ')}`);
      const file = input.positionals[1]!;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        return fail(ExitCode.failure, `cannot read ${file}: ${(error as Error).message}`);
      }
      const column = stringOption(input, 'column');
      const read = importer.read(format, text, column === undefined ? {} : { column });
      if ('refused' in read) return usageError(read.refused);
      const errors = read.errors.map((e) => `${file}:${e.line}: ${e.message}`);
      if (read.errorCount > 0 && !flag(input, 'skip-invalid'))
        return fail(
          ExitCode.failure,
          `${read.errorCount} invalid line(s); nothing was imported:\n${errors.slice(0, 20).join('\n')}`,
          'fix them, or take the valid lines with --skip-invalid',
        );
      const state = await current(context, input);
      if (!state.ok) return state;
      const before = new Set(state.value.entries);
      const added = [...new Set(read.items)].filter((e) => !before.has(e));
      const after = [...state.value.entries, ...added];
      const stored = await store(context, state.value, after);
      if (!stored.ok) return stored;
      return ok({
        json: { key, added: added.length, entries: after.length, invalid: read.errorCount, errors: read.errors },
        text: `${key}: ${added.length} entries added (${after.length} in all) from ${file}${
          read.errorCount > 0 ? `; ${read.errorCount} invalid line(s) skipped:\n${errors.slice(0, 20).join('\n')}` : ''
        }`,
      });
    },
  };
}

export function listCommands(modules: readonly Pick<ManagerModule, 'id' | 'listImport'>[]): Command[] {
  return [show, change('add'), change('remove'), importCommand(modules)];
}
