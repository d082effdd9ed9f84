import { isRow, type Row, rowOf } from '../api-calls.js';
import { ok, usageError } from '../cli-error.js';
import { type Command, stringOption } from '../command.js';
import { computerPath } from '../computer-names.js';
import { formatFields, formatTable, formatTime } from '../table.js';
import { renameCommand } from './rename-command.js';

const rename = renameCommand({
  group: 'computers',
  noun: 'computer',
  summary: "Change a computer's display name (its hostname stays as the agent reports it)",
  pathOf: computerPath,
});

const deactivate: Command = {
  group: 'computers',
  name: 'deactivate',
  args: 'ID|NAME',
  summary: 'Deactivate a computer: its agent is refused from now on (activate it again with a new token)',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const path = await computerPath(client, input.positionals[0]!);
    if (!path.ok) return path;
    const answer = await client.request('DELETE', path.value);
    if (!answer.ok) return answer;
    const computer = rowOf(answer.value.body, 'the computer');
    if (!computer.ok) return computer;
    const c = computer.value;
    return ok({ json: c, text: `Deactivated computer ${String(c.name ?? c.hostname)} (${String(c.id)})` });
  },
};

const SECTIONS = ['packages', 'services', 'ports', 'users'] as const;

const inventory: Command = {
  group: 'computers',
  name: 'inventory',
  args: 'ID|NAME',
  summary: "The inventory the computer's agent last reported: OS, kernel, packages, services, listening ports, users",
  options: { section: { type: 'string' } },
  optionHelp: [['--section S', `list one part in full: ${SECTIONS.join(', ')} (default: a summary)`]],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const section = stringOption(input, 'section');
    if (section !== undefined && !(SECTIONS as readonly string[]).includes(section)) {
      return usageError(`--section must be one of ${SECTIONS.join(', ')}, got "${section}"`);
    }
    const path = await computerPath(client, input.positionals[0]!);
    if (!path.ok) return path;
    const answer = await client.request('GET', `${path.value}/inventory`);
    if (!answer.ok) return answer;
    const body = rowOf(answer.value.body, 'the inventory');
    if (!body.ok) return body;
    const inv = isRow(body.value.inventory) ? body.value.inventory : {};
    const rows = (key: string): Row[] => (Array.isArray(inv[key]) ? (inv[key] as unknown[]).filter(isRow) : []);
    const tables: Record<(typeof SECTIONS)[number], () => string> = {
      packages: () =>
        formatTable<Row>(
          [
            { header: 'name', cell: (p) => p.name },
            { header: 'version', cell: (p) => p.version },
            { header: 'arch', cell: (p) => p.architecture ?? '' },
          ],
          rows('packages'),
        ),
      services: () =>
        formatTable<Row>(
          [
            { header: 'name', cell: (s) => s.name },
            { header: 'active', cell: (s) => s.activeState },
            { header: 'sub', cell: (s) => s.subState ?? '' },
            { header: 'enabled', cell: (s) => s.enabled ?? '' },
          ],
          rows('services'),
        ),
      ports: () =>
        formatTable<Row>(
          [
            { header: 'protocol', cell: (p) => `${String(p.protocol)}/${String(p.family)}` },
            { header: 'address', cell: (p) => p.address },
            { header: 'port', cell: (p) => p.port },
            { header: 'process', cell: (p) => p.process ?? '' },
          ],
          rows('listeningPorts'),
        ),
      users: () =>
        formatTable<Row>(
          [
            { header: 'name', cell: (u) => u.name },
            { header: 'uid', cell: (u) => u.uid },
            { header: 'home', cell: (u) => u.home },
            { header: 'shell', cell: (u) => u.shell },
          ],
          rows('users'),
        ),
    };
    if (section !== undefined) {
      const key = section === 'ports' ? 'listeningPorts' : section;
      return ok({ json: rows(key), text: tables[section as (typeof SECTIONS)[number]]() });
    }
    const os = isRow(inv.os) ? inv.os : {};
    const kernel = isRow(inv.kernel) ? inv.kernel : {};
    const text = formatFields([
      ['Hostname', inv.hostname],
      ['OS', os.prettyName ?? `${String(os.name ?? '-')} ${String(os.version ?? '')}`.trim()],
      ['Kernel', `${String(kernel.release ?? '-')} (${String(kernel.machine ?? '-')})`],
      ['Collected', formatTime(inv.collectedAt)],
      ['Received', formatTime(body.value.receivedAt)],
      ['Packages', rows('packages').length],
      ['Services', rows('services').length],
      ['Listening ports', rows('listeningPorts').length],
      ['Users', rows('users').length],
    ]);
    return ok({ json: body.value, text: `${text}\n\nList one part with --section ${SECTIONS.join('|')}` });
  },
};

export const computerManageCommands: readonly Command[] = [rename, deactivate, inventory];
