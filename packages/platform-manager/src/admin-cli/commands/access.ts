import { idSegment, isRow, isUuid, listAll, parsePositiveInteger, type Row, rowOf } from '../api-calls.js';
import { ExitCode, fail, ok, usageError } from '../cli-error.js';
import { type Command, stringOption } from '../command.js';
import { readPassword } from '../password-input.js';
import { formatTable, formatTime } from '../table.js';

const ROLES = ['auditor', 'operator', 'administrator'];
const roleHelp = ['--role R', `auditor, operator or administrator`] as const;

function checkRole(role: string | undefined) {
  if (role === undefined) return usageError('--role is required: auditor, operator or administrator');
  if (!ROLES.includes(role)) return usageError(`--role must be one of ${ROLES.join(', ')}, got "${role}"`);
  return ok(role);
}

function deleteCommand(group: string, name: string, noun: string, path: string, done: string): Command {
  return {
    group,
    name,
    args: 'ID',
    summary: `${name === 'revoke' ? 'Revoke' : 'Delete'} ${noun}`,
    options: {},
    optionHelp: [],
    positionals: { min: 1, max: 1 },
    async run({ client }, input) {
      const id = idSegment(input.positionals[0]!, noun);
      if (!id.ok) return id;
      const answer = await client.request('DELETE', `${path}/${id.value}`);
      if (!answer.ok) return answer;
      return ok({
        json: answer.value.body ?? { id: input.positionals[0], [done.toLowerCase()]: true },
        text: `${done} ${input.positionals[0]}`,
      });
    },
  };
}

const apiKeyCreate: Command = {
  group: 'api-keys',
  name: 'create',
  args: 'NAME',
  summary: 'Create an API key (shown once)',
  options: { role: { type: 'string' } },
  optionHelp: [roleHelp],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const role = checkRole(stringOption(input, 'role'));
    if (!role.ok) return role;
    const answer = await client.request('POST', '/api/api-keys', {
      body: { name: input.positionals[0], role: role.value },
    });
    if (!answer.ok) return answer;
    const key = rowOf(answer.value.body, 'the new API key');
    if (!key.ok) return key;
    const text = [
      `API key id: ${String(key.value.id)} (${String(key.value.role)})`,
      `Key:        ${String(key.value.key)}`,
      'The key is shown only now; keep it in BULWARK_API_KEY rather than on command lines.',
    ].join('\n');
    return ok({ json: key.value, text });
  },
};

const apiKeyList: Command = {
  group: 'api-keys',
  name: 'list',
  args: '',
  summary: 'List API keys (never the keys themselves)',
  options: {},
  optionHelp: [],
  positionals: { min: 0, max: 0 },
  async run({ client }) {
    const all = await listAll(client, '/api/api-keys', {}, 100_000);
    if (!all.ok) return all;
    const text = formatTable<Row>(
      [
        { header: 'id', cell: (k) => k.id },
        { header: 'name', cell: (k) => k.name },
        { header: 'role', cell: (k) => k.role },
        { header: 'created', cell: (k) => formatTime(k.createdAt) },
        { header: 'last used', cell: (k) => formatTime(k.lastUsedAt) },
        { header: 'revoked', cell: (k) => (k.revokedAt == null ? 'no' : formatTime(k.revokedAt)) },
      ],
      all.value.items,
    );
    return ok({ json: all.value.items, text });
  },
};

const userCreate: Command = {
  group: 'users',
  name: 'create',
  args: 'USERNAME',
  summary: 'Create a console user; the password is read from stdin (typed hidden on a terminal)',
  options: { role: { type: 'string' } },
  optionHelp: [roleHelp],
  positionals: { min: 1, max: 1 },
  async run({ client, stdin, stderr }, input) {
    const role = checkRole(stringOption(input, 'role'));
    if (!role.ok) return role;
    const password = await readPassword(stdin, stderr, `Password for ${input.positionals[0]}: `);
    if (password === '') return usageError('no password given: type it, or pipe it on stdin');
    const body = { username: input.positionals[0], password, role: role.value };
    const answer = await client.request('POST', '/api/users', { body });
    if (!answer.ok) return answer;
    const user = rowOf(answer.value.body, 'the new user');
    if (!user.ok) return user;
    return ok({
      json: user.value,
      text: `Created user ${String(user.value.username)} (${String(user.value.id)}), ${role.value}`,
    });
  },
};

const userList: Command = {
  group: 'users',
  name: 'list',
  args: '',
  summary: 'List console users',
  options: {},
  optionHelp: [],
  positionals: { min: 0, max: 0 },
  async run({ client }) {
    const all = await listAll(client, '/api/users', {}, 100_000);
    if (!all.ok) return all;
    const text = formatTable<Row>(
      [
        { header: 'id', cell: (u) => u.id },
        { header: 'username', cell: (u) => u.username },
        { header: 'role', cell: (u) => u.role },
        { header: 'created', cell: (u) => formatTime(u.createdAt) },
      ],
      all.value.items,
    );
    return ok({ json: all.value.items, text });
  },
};

const userSetRole: Command = {
  group: 'users',
  name: 'set-role',
  args: 'ID|USERNAME',
  summary: "Change a console user's role",
  options: { role: { type: 'string' } },
  optionHelp: [roleHelp],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const role = checkRole(stringOption(input, 'role'));
    if (!role.ok) return role;
    const text = input.positionals[0]!;
    let id = text;
    if (!isUuid(text)) {
      const all = await listAll(client, '/api/users', {}, 100_000);
      if (!all.ok) return all;
      const found = all.value.items.find((u) => u.username === text);
      if (found === undefined || typeof found.id !== 'string') {
        return fail(ExitCode.notFound, `no user with id or username "${text}"`, 'List them with: bulwark users list');
      }
      id = found.id;
    }
    const answer = await client.request('PATCH', `/api/users/${encodeURIComponent(id)}`, {
      body: { role: role.value },
    });
    if (!answer.ok) return answer;
    const user = rowOf(answer.value.body, 'the user');
    if (!user.ok) return user;
    return ok({ json: user.value, text: `User ${String(user.value.username)} is now ${String(user.value.role)}` });
  },
};

const auditList: Command = {
  group: 'audit',
  name: 'list',
  args: '',
  summary: 'Read the audit log: who changed what, before and after',
  options: { limit: { type: 'string' } },
  optionHelp: [['--limit N', 'at most N entries (default 50)']],
  positionals: { min: 0, max: 0 },
  async run({ client }, input) {
    const limit = parsePositiveInteger(stringOption(input, 'limit'), '--limit', 100_000);
    if (!limit.ok) return limit;
    const all = await listAll(client, '/api/audit-log', {}, limit.value ?? 50);
    if (!all.ok) return all;
    const text = formatTable<Row>(
      [
        { header: 'at', cell: (a) => formatTime(a.at) },
        {
          header: 'actor',
          cell: (a) => (isRow(a.actor) ? `${String(a.actor.name)} (${String(a.actor.kind)})` : a.actor),
        },
        { header: 'action', cell: (a) => a.action },
        {
          header: 'target',
          cell: (a) => (isRow(a.target) ? [a.target.kind, a.target.id].filter((x) => x != null).join(' ') : a.target),
        },
      ],
      all.value.items,
    );
    return ok({ json: all.value.items, text });
  },
};

export const accessCommands: readonly Command[] = [
  apiKeyCreate,
  apiKeyList,
  deleteCommand('api-keys', 'revoke', 'API key', '/api/api-keys', 'Revoked'),
  userCreate,
  userList,
  userSetRole,
  deleteCommand('users', 'delete', 'user', '/api/users', 'Deleted'),
  auditList,
];
