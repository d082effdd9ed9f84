import { readFile } from 'node:fs/promises';
import { SEVERITIES } from '@bulwark/protocol';
import {
  candidateList,
  isUuid,
  listAll,
  parsePositiveInteger,
  type Row,
  resolvePolicyId,
  rowOf,
} from '../api-calls.js';
import { type CliResult, ExitCode, fail, ok, usageError } from '../cli-error.js';
import { type Command, flag, stringOption } from '../command.js';
import type { ManagerClient } from '../manager-client.js';
import { formatFields, formatTable, formatTime } from '../table.js';

const PATH = '/api/forwarding/destinations';
const TRANSPORTS = ['udp', 'tcp', 'tls'];
const FORMATS = ['cef', 'leef', 'json'];

/** A destination given by id or by exact name. */
async function destinationPath(client: ManagerClient, text: string): Promise<CliResult<string>> {
  if (isUuid(text)) return ok(`${PATH}/${text.toLowerCase()}`);
  const all = await listAll(client, PATH, {}, 10_000);
  if (!all.ok) return all;
  const matches = all.value.items.filter((d) => d.name === text);
  if (matches.length === 1) return ok(`${PATH}/${String(matches[0]!.id)}`);
  if (matches.length > 1) {
    return usageError(
      `${matches.length} destinations are named "${text}": give the id`,
      candidateList(matches, (d) => `${String(d.transport)}://${String(d.host)}:${String(d.port)}`),
    );
  }
  return fail(
    ExitCode.notFound,
    `no forwarding destination with id or name "${text}"`,
    'List them with: bulwark forwarding list',
  );
}

function oneOf(name: string, value: string | undefined, allowed: readonly string[], required: boolean) {
  if (value === undefined) return required ? usageError(`--${name} is required: ${allowed.join(', ')}`) : ok(undefined);
  return allowed.includes(value)
    ? ok(value)
    : usageError(`--${name} must be one of ${allowed.join(', ')}, got "${value}"`);
}

const endpoint = (d: Row) => `${String(d.transport)}://${String(d.host)}:${String(d.port)}`;

const list: Command = {
  group: 'forwarding',
  name: 'list',
  args: '',
  summary: 'List SIEM destinations (syslog over udp, tcp or tls)',
  options: {},
  optionHelp: [],
  positionals: { min: 0, max: 0 },
  async run({ client }) {
    const all = await listAll(client, PATH, {}, 10_000);
    if (!all.ok) return all;
    const text = formatTable<Row>(
      [
        { header: 'id', cell: (d) => d.id },
        { header: 'name', cell: (d) => d.name },
        { header: 'endpoint', cell: endpoint },
        { header: 'format', cell: (d) => d.format },
        { header: 'min severity', cell: (d) => d.minimumSeverity },
        { header: 'modules', cell: (d) => (Array.isArray(d.modules) ? d.modules.join(', ') : 'all') },
        { header: 'enabled', cell: (d) => (d.enabled === true ? 'yes' : 'no') },
      ],
      all.value.items,
    );
    return ok({ json: all.value.items, text });
  },
};

const create: Command = {
  group: 'forwarding',
  name: 'create',
  args: 'NAME',
  summary: 'Add a SIEM destination; events stored from now on are forwarded to it',
  options: {
    transport: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string' },
    format: { type: 'string' },
    modules: { type: 'string' },
    'min-severity': { type: 'string' },
    'ca-file': { type: 'string' },
    policy: { type: 'string' },
    'max-backlog': { type: 'string' },
    disabled: { type: 'boolean' },
  },
  optionHelp: [
    ['--transport T', `${TRANSPORTS.join(', ')} (required)`],
    ['--host H', 'the collector (required)'],
    ['--port N', 'its port (required)'],
    ['--format F', `${FORMATS.join(', ')} (required)`],
    ['--modules A,B', 'only events of these modules (default: all)'],
    ['--min-severity S', `at least: ${SEVERITIES.join(', ')} (default info)`],
    ['--ca-file FILE', "tls: PEM of the collector's CA (default: the system CAs)"],
    ['--policy ID|NAME', 'only computers under this policy (default: all)'],
    ['--max-backlog N', 'events queued while it is down (default 1000000)'],
    ['--disabled', 'create it switched off'],
  ],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const transport = oneOf('transport', stringOption(input, 'transport'), TRANSPORTS, true);
    if (!transport.ok) return transport;
    const format = oneOf('format', stringOption(input, 'format'), FORMATS, true);
    if (!format.ok) return format;
    const severity = oneOf('min-severity', stringOption(input, 'min-severity'), SEVERITIES, false);
    if (!severity.ok) return severity;
    const host = stringOption(input, 'host');
    if (host === undefined) return usageError('--host is required');
    const port = parsePositiveInteger(stringOption(input, 'port'), '--port', 65_535);
    if (!port.ok) return port;
    if (port.value === undefined) return usageError('--port is required');
    const backlog = parsePositiveInteger(stringOption(input, 'max-backlog'), '--max-backlog', 1_000_000_000);
    if (!backlog.ok) return backlog;
    const body: Record<string, unknown> = {
      name: input.positionals[0],
      transport: transport.value,
      host,
      port: port.value,
      format: format.value,
    };
    const modules = stringOption(input, 'modules');
    if (modules !== undefined)
      body.modules = modules
        .split(',')
        .map((m) => m.trim())
        .filter((m) => m !== '');
    if (severity.value !== undefined) body.minimumSeverity = severity.value;
    if (backlog.value !== undefined) body.maxBacklog = backlog.value;
    if (flag(input, 'disabled')) body.enabled = false;
    const caFile = stringOption(input, 'ca-file');
    if (caFile !== undefined) {
      try {
        body.caCertificate = await readFile(caFile, 'utf8');
      } catch (error) {
        return usageError(`cannot read --ca-file ${caFile}: ${(error as Error).message}`);
      }
    }
    const policy = stringOption(input, 'policy');
    if (policy !== undefined) {
      const id = await resolvePolicyId(client, policy, false);
      if (!id.ok) return id;
      body.policyId = id.value;
    }
    const answer = await client.request('POST', PATH, { body });
    if (!answer.ok) return answer;
    const created = rowOf(answer.value.body, 'the new destination');
    if (!created.ok) return created;
    const d = created.value;
    return ok({
      json: d,
      text: `Created destination ${String(d.name)} (${String(d.id)}), ${endpoint(d)} in ${String(d.format)}; check it with: bulwark forwarding test ${String(d.id)}`,
    });
  },
};

const test: Command = {
  group: 'forwarding',
  name: 'test',
  args: 'ID|NAME',
  summary: 'Send one test event to a destination now and say whether it could be sent',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const path = await destinationPath(client, input.positionals[0]!);
    if (!path.ok) return path;
    const answer = await client.request('POST', `${path.value}/test`);
    if (!answer.ok) return answer;
    const result = rowOf(answer.value.body, 'the test');
    if (!result.ok) return result;
    const r = result.value;
    if (r.sent !== true) {
      return fail(ExitCode.failure, `the test event could not be sent over ${String(r.transport)}: ${String(r.error)}`);
    }
    const caveat =
      r.transport === 'udp' ? ' (udp: sent, but nothing confirms it arrived; look for it in the SIEM)' : '';
    return ok({ json: r, text: `Test event sent over ${String(r.transport)} in ${String(r.elapsedMs)} ms${caveat}` });
  },
};

const status: Command = {
  group: 'forwarding',
  name: 'status',
  args: 'ID|NAME',
  summary: "A destination's queue: events waiting, sent, skipped, last error",
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const path = await destinationPath(client, input.positionals[0]!);
    if (!path.ok) return path;
    const answer = await client.request('GET', `${path.value}/status`);
    if (!answer.ok) return answer;
    const result = rowOf(answer.value.body, 'the status');
    if (!result.ok) return result;
    const s = result.value;
    const text = formatFields([
      ['Waiting', s.backlog],
      ['Sent', s.sent],
      ['Skipped (backlog full)', s.skipped],
      ['Last sent', formatTime(s.lastSentAt)],
      ['Last error', s.lastError === null ? 'none' : `${String(s.lastError)} at ${formatTime(s.lastErrorAt)}`],
    ]);
    return ok({ json: s, text });
  },
};

const remove: Command = {
  group: 'forwarding',
  name: 'delete',
  args: 'ID|NAME',
  summary: 'Delete a destination (its queue goes with it)',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const path = await destinationPath(client, input.positionals[0]!);
    if (!path.ok) return path;
    const answer = await client.request('DELETE', path.value);
    if (!answer.ok) return answer;
    const id = path.value.slice(PATH.length + 1);
    return ok({ json: { id, deleted: true }, text: `Deleted destination ${input.positionals[0]}` });
  },
};

export const forwardingCommands: readonly Command[] = [list, create, test, status, remove];
