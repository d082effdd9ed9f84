import { listPolicies, policyNames, type Row, resolvePolicyId, rowOf } from '../api-calls.js';
import { ExitCode, ok, usageError } from '../cli-error.js';
import { type Command, flag, stringOption } from '../command.js';
import { buildPolicyTree, formatPolicyTree } from '../policy-tree.js';
import { formatFields, formatTable } from '../table.js';
import { renameCommand } from './rename-command.js';

const list: Command = {
  group: 'policies',
  name: 'list',
  args: '',
  summary: 'List policies, flat or as a tree',
  options: { tree: { type: 'boolean' } },
  optionHelp: [['--tree', 'show the inheritance tree (JSON: nested children)']],
  positionals: { min: 0, max: 0 },
  async run({ client }, input) {
    const all = await listPolicies(client);
    if (!all.ok) return all;
    if (flag(input, 'tree')) {
      const roots = buildPolicyTree(all.value);
      return ok({ json: roots, text: formatPolicyTree(roots) });
    }
    const names = new Map(all.value.map((p) => [String(p.id), String(p.name)]));
    const text = formatTable<Row>(
      [
        { header: 'id', cell: (p) => p.id },
        { header: 'name', cell: (p) => p.name },
        {
          header: 'parent',
          cell: (p) => (typeof p.parentId === 'string' ? (names.get(p.parentId) ?? p.parentId) : '-'),
        },
        { header: 'description', cell: (p) => p.description ?? '' },
      ],
      all.value,
    );
    return ok({ json: all.value, text });
  },
};

const show: Command = {
  group: 'policies',
  name: 'show',
  args: 'ID|NAME',
  summary: 'Show one policy',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const id = await resolvePolicyId(client, input.positionals[0]!, false);
    if (!id.ok) return id;
    const answer = await client.request('GET', `/api/policies/${id.value}`);
    if (!answer.ok) return answer;
    const policy = rowOf(answer.value.body, 'the policy');
    if (!policy.ok) return policy;
    const names = await policyNames(client);
    const p = policy.value;
    const parent = typeof p.parentId === 'string' ? (names.get(p.parentId) ?? p.parentId) : 'None';
    const text = formatFields([
      ['ID', p.id],
      ['Name', p.name],
      ['Parent', parent],
      ['Description', p.description ?? ''],
    ]);
    return ok({ json: p, text });
  },
};

const create: Command = {
  group: 'policies',
  name: 'create',
  args: 'NAME',
  summary: 'Create a policy',
  options: { parent: { type: 'string' }, description: { type: 'string' } },
  optionHelp: [
    ['--parent ID|NAME', 'the policy it inherits from (default: a root policy)'],
    ['--description TEXT', 'what the policy is for'],
  ],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const body: Record<string, unknown> = { name: input.positionals[0] };
    const parent = stringOption(input, 'parent');
    if (parent !== undefined) {
      const parentId = await resolvePolicyId(client, parent, true);
      if (!parentId.ok) return parentId;
      if (parentId.value !== null) body.parentId = parentId.value;
    }
    const description = stringOption(input, 'description');
    if (description !== undefined) body.description = description;
    const answer = await client.request('POST', '/api/policies', { body });
    if (!answer.ok) return answer;
    const created = rowOf(answer.value.body, 'the new policy');
    if (!created.ok) return created;
    return ok({
      json: created.value,
      text: `Created policy ${String(created.value.name)} (${String(created.value.id)})`,
    });
  },
};

const move: Command = {
  group: 'policies',
  name: 'move',
  args: 'ID|NAME',
  summary: 'Move a policy under another parent (or to the top with --parent none)',
  options: { parent: { type: 'string' } },
  optionHelp: [['--parent ID|NAME|none', 'the new parent (required)']],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const parent = stringOption(input, 'parent');
    if (parent === undefined) return usageError('policies move needs --parent ID, NAME or none');
    const id = await resolvePolicyId(client, input.positionals[0]!, false);
    if (!id.ok) return id;
    const parentId = await resolvePolicyId(client, parent, true);
    if (!parentId.ok) return parentId;
    const answer = await client.request('POST', `/api/policies/${id.value}/move`, {
      body: { parentId: parentId.value },
    });
    if (!answer.ok) return answer;
    const where = parentId.value === null ? 'to the top level' : `under ${parent}`;
    return ok({ json: answer.value.body ?? { id: id.value, parentId: parentId.value }, text: `Moved policy ${where}` });
  },
};

const remove: Command = {
  group: 'policies',
  name: 'delete',
  args: 'ID|NAME',
  summary: 'Delete a policy',
  options: { force: { type: 'boolean' } },
  optionHelp: [['--force', 'also when it has child policies or computers: they move to its parent']],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const id = await resolvePolicyId(client, input.positionals[0]!, false);
    if (!id.ok) return id;
    const query = flag(input, 'force') ? { force: true } : {};
    const answer = await client.request('DELETE', `/api/policies/${id.value}`, { query });
    if (!answer.ok && answer.error.exitCode === ExitCode.failure && !flag(input, 'force')) {
      return {
        ok: false,
        error: { ...answer.error, hint: 'Add --force to move its child policies and computers to its parent.' },
      };
    }
    if (!answer.ok) return answer;
    return ok({
      json: answer.value.body ?? { id: input.positionals[0], deleted: true },
      text: `Deleted policy ${input.positionals[0]}`,
    });
  },
};

const rename = renameCommand({
  group: 'policies',
  noun: 'policy',
  summary: 'Rename a policy (and optionally change its description)',
  pathOf: async (client, idOrName) => {
    const id = await resolvePolicyId(client, idOrName, false);
    return id.ok ? ok(`/api/policies/${id.value}`) : id;
  },
});

export const policyCommands: readonly Command[] = [list, show, create, rename, move, remove];
