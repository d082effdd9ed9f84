import { readFile } from 'node:fs/promises';
import { UPDATE_KIND_PATTERN } from '@bulwark/protocol';
import { isRow, type Row, rowOf } from '../api-calls.js';
import { ExitCode, fail, ok, usageError } from '../cli-error.js';
import { type Command, stringOption } from '../command.js';
import { formatFields, formatTable, formatTime } from '../table.js';

const KIND = new RegExp(UPDATE_KIND_PATTERN);

function kindOf(text: string) {
  return KIND.test(text)
    ? ok(text)
    : usageError(
        `"${text}" is not an update kind (lower-case words joined by dashes); "bulwark updates list" shows them`,
      );
}

const list: Command = {
  group: 'updates',
  name: 'list',
  args: '',
  summary: 'Kinds of update packages, their current version and how many computers are behind',
  options: {},
  optionHelp: [],
  positionals: { min: 0, max: 0 },
  async run({ client }) {
    const answer = await client.request('GET', '/api/updates');
    if (!answer.ok) return answer;
    const body = rowOf(answer.value.body, 'the update kinds');
    if (!body.ok) return body;
    const kinds = Array.isArray(body.value.kinds) ? body.value.kinds.filter(isRow) : [];
    const text = formatTable<Row>(
      [
        { header: 'kind', cell: (k) => k.kind },
        { header: 'module', cell: (k) => k.module },
        { header: 'current', cell: (k) => k.current ?? 'none' },
        { header: 'versions', cell: (k) => (Array.isArray(k.versions) ? k.versions.length : 0) },
        { header: 'computers current', cell: (k) => k.computersCurrent },
        { header: 'behind', cell: (k) => k.computersBehind },
        { header: 'description', cell: (k) => k.description },
      ],
      kinds,
    );
    return ok({ json: kinds, text });
  },
};

const importPackage: Command = {
  group: 'updates',
  name: 'import',
  args: 'KIND FILE',
  summary: 'Import a file as the next version of KIND; the manager signs it and agents download it',
  options: { note: { type: 'string' } },
  optionHelp: [['--note TEXT', 'what this version is (shown in the list and the audit log)']],
  positionals: { min: 2, max: 2 },
  async run({ client }, input) {
    const kind = kindOf(input.positionals[0]!);
    if (!kind.ok) return kind;
    const path = input.positionals[1]!;
    let content: Buffer;
    try {
      content = await readFile(path);
    } catch (error) {
      return fail(ExitCode.failure, `cannot read ${path}: ${(error as Error).message}`);
    }
    const note = stringOption(input, 'note');
    const answer = await client.request('POST', `/api/updates/${kind.value}`, {
      body: { contentBase64: content.toString('base64'), ...(note === undefined ? {} : { note }) },
    });
    if (!answer.ok) return answer;
    const made = rowOf(answer.value.body, 'the imported package');
    if (!made.ok) return made;
    const p = made.value;
    return ok({
      json: p,
      text: formatFields([
        ['Kind', p.kind],
        ['Version', p.version],
        ['Bytes', p.size],
        ['SHA-256', p.sha256],
        ['Imported', formatTime(p.createdAt)],
      ]),
    });
  },
};

const rollback: Command = {
  group: 'updates',
  name: 'rollback',
  args: 'KIND',
  summary: 'Withdraw the current version of KIND: every agent goes back to the version before it',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const kind = kindOf(input.positionals[0]!);
    if (!kind.ok) return kind;
    const answer = await client.request('POST', `/api/updates/${kind.value}/rollback`);
    if (!answer.ok) return answer;
    const body = rowOf(answer.value.body, 'the rollback');
    if (!body.ok) return body;
    return ok({
      json: body.value,
      text: `${kind.value}: version ${String(body.value.withdrawn)} withdrawn; agents now run version ${String(body.value.current)}`,
    });
  },
};

const computers: Command = {
  group: 'updates',
  name: 'computers',
  args: 'KIND',
  summary: 'Which version of KIND each computer runs; the ones behind first',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const kind = kindOf(input.positionals[0]!);
    if (!kind.ok) return kind;
    const answer = await client.request('GET', `/api/updates/${kind.value}/computers`);
    if (!answer.ok) return answer;
    const body = rowOf(answer.value.body, 'the computers');
    if (!body.ok) return body;
    const rows = Array.isArray(body.value.computers) ? body.value.computers.filter(isRow) : [];
    const text = formatTable<Row>(
      [
        { header: 'computer', cell: (c) => c.computerName },
        { header: 'version', cell: (c) => c.version ?? 'none' },
        { header: 'previous', cell: (c) => c.previous ?? '' },
        { header: 'state', cell: (c) => c.state },
        { header: 'behind', cell: (c) => (c.behind ? 'yes' : '') },
        { header: 'reported', cell: (c) => formatTime(c.reportedAt) },
        { header: 'reason', cell: (c) => c.reason ?? '' },
      ],
      rows,
    );
    return ok({ json: rows, text });
  },
};

export const updateCommands: readonly Command[] = [list, importPackage, rollback, computers];
