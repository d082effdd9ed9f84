import { isRow, listAll, policyNames, type Row, resolvePolicyId, rowOf } from '../api-calls.js';
import { ok } from '../cli-error.js';
import { type Command, stringOption } from '../command.js';
import { resolveComputerId } from '../computer-names.js';
import { formatFields, formatTable, formatTime } from '../table.js';
import { computerCommandCommands } from './computers-commands.js';

const STATUS_LABELS: Readonly<Record<string, string>> = {
  managed: 'Managed (Online)',
  'updates-pending': 'Updates pending',
  offline: 'Offline',
  error: 'Error',
  deactivated: 'Deactivated',
};

export function statusLabel(computer: Row): string {
  const status = String(computer.status ?? '-');
  const label = STATUS_LABELS[status] ?? status;
  return typeof computer.statusReason === 'string' && computer.statusReason !== ''
    ? `${label}: ${computer.statusReason}`
    : label;
}

function policyCell(names: Map<string, string>, policyId: unknown): string {
  if (typeof policyId !== 'string') return 'None';
  return names.get(policyId) ?? policyId;
}

const list: Command = {
  group: 'computers',
  name: 'list',
  args: '',
  summary: 'List computers',
  options: { policy: { type: 'string' }, status: { type: 'string' }, search: { type: 'string' } },
  optionHelp: [
    ['--policy ID|NAME', 'only computers assigned to this policy'],
    ['--status S', 'managed, updates-pending, offline, error or deactivated'],
    ['--search TEXT', 'name contains TEXT'],
  ],
  positionals: { min: 0, max: 0 },
  async run({ client }, input) {
    const policyText = stringOption(input, 'policy');
    let policyId: string | null | undefined;
    if (policyText !== undefined) {
      const resolved = await resolvePolicyId(client, policyText, false);
      if (!resolved.ok) return resolved;
      policyId = resolved.value;
    }
    const query = { policyId, status: stringOption(input, 'status'), q: stringOption(input, 'search') };
    const all = await listAll(client, '/api/computers', query, 100_000);
    if (!all.ok) return all;
    const names = await policyNames(client);
    const text = formatTable<Row>(
      [
        { header: 'id', cell: (c) => c.id },
        { header: 'name', cell: (c) => c.name ?? c.hostname },
        { header: 'status', cell: statusLabel },
        { header: 'policy', cell: (c) => policyCell(names, c.policyId) },
        { header: 'last heartbeat', cell: (c) => formatTime(c.lastHeartbeatAt) },
        { header: 'agent', cell: (c) => c.agentVersion },
      ],
      all.value.items,
    );
    return ok({ json: all.value.items, text });
  },
};

const show: Command = {
  group: 'computers',
  name: 'show',
  args: 'ID|NAME',
  summary: 'Show one computer, its status and its modules',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const id = await resolveComputerId(client, input.positionals[0]!);
    if (!id.ok) return id;
    const answer = await client.request('GET', `/api/computers/${id.value}`);
    if (!answer.ok) return answer;
    const computer = rowOf(answer.value.body, 'the computer');
    if (!computer.ok) return computer;
    const c = computer.value;
    const names = await policyNames(client);
    const fields = formatFields([
      ['ID', c.id],
      ['Name', c.name ?? c.hostname],
      ['Hostname', c.hostname],
      ['Status', statusLabel(c)],
      ['Policy', policyCell(names, c.policyId)],
      ['Platform', c.platform],
      ['Agent version', c.agentVersion],
      ['Activated', formatTime(c.activatedAt)],
      ['Last heartbeat', formatTime(c.lastHeartbeatAt)],
      ['Configuration', c.configurationVersion],
      ['Applied configuration', c.appliedConfigurationVersion],
    ]);
    const modules = Array.isArray(c.modules) ? c.modules.filter(isRow) : [];
    const moduleTable = formatTable<Row>(
      [
        { header: 'module', cell: (m) => m.id },
        { header: 'state', cell: (m) => m.state },
        { header: 'reason', cell: (m) => m.reason ?? '' },
      ],
      modules,
    );
    return ok({ json: c, text: `${fields}\n\nModules\n${moduleTable}` });
  },
};

const wake: Command = {
  group: 'computers',
  name: 'wake',
  args: 'ID|NAME',
  summary: "Ask a computer's agent for an immediate heartbeat",
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const id = await resolveComputerId(client, input.positionals[0]!);
    if (!id.ok) return id;
    const answer = await client.request('POST', `/api/computers/${id.value}/wake`);
    if (!answer.ok) return answer;
    const json = answer.value.body ?? { id: input.positionals[0], wake: 'requested' };
    return ok({ json, text: `Heartbeat requested from ${input.positionals[0]}` });
  },
};

const setPolicy: Command = {
  group: 'computers',
  name: 'set-policy',
  args: 'ID|NAME POLICY|none',
  summary: 'Assign a policy (by id or name) to a computer, or none',
  options: {},
  optionHelp: [],
  positionals: { min: 2, max: 2 },
  async run({ client }, input) {
    const id = await resolveComputerId(client, input.positionals[0]!);
    if (!id.ok) return id;
    const policyId = await resolvePolicyId(client, input.positionals[1]!, true);
    if (!policyId.ok) return policyId;
    const answer = await client.request('PATCH', `/api/computers/${id.value}`, { body: { policyId: policyId.value } });
    if (!answer.ok) return answer;
    const text =
      policyId.value === null
        ? `Computer ${input.positionals[0]} has no policy now`
        : `Computer ${input.positionals[0]} now uses policy ${input.positionals[1]}`;
    return ok({ json: answer.value.body ?? { id: input.positionals[0], policyId: policyId.value }, text });
  },
};

export const computerCommands: readonly Command[] = [list, show, wake, setPolicy, ...computerCommandCommands];
