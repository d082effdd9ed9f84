import {
  idSegment,
  listAll,
  parsePositiveInteger,
  policyNames,
  type Row,
  resolvePolicyId,
  rowOf,
} from '../api-calls.js';
import { ok, usageError } from '../cli-error.js';
import { type Command, flag, stringOption } from '../command.js';
import { prepareDeployment } from '../deployment-script-command.js';
import { parseDuration } from '../duration.js';
import { formatTable, formatTime } from '../table.js';

const create: Command = {
  group: 'tokens',
  name: 'create',
  args: '',
  summary: 'Create an activation token for agents (shown once)',
  options: {
    name: { type: 'string' },
    'expires-in': { type: 'string' },
    'max-uses': { type: 'string' },
    policy: { type: 'string' },
    script: { type: 'boolean' },
    'agent-url': { type: 'string' },
  },
  optionHelp: [
    ['--name N', 'a label, e.g. the batch of servers it is for'],
    ['--expires-in D', 'e.g. 30m, 24h, 7d (default: 24h, set by the manager)'],
    ['--max-uses N', 'how many agents may activate with it (default: unlimited)'],
    ['--policy ID|NAME', 'policy assigned to computers that activate with it'],
    ['--script', 'print a shell script that installs the agent package from the manager and activates it'],
    ['--agent-url URL', 'with --script: the agent port URL hosts reach (default: the --manager host, port 4120)'],
  ],
  positionals: { min: 0, max: 0 },
  async run(context, input) {
    const { client, now } = context;
    // Checked before the token exists, so that a manager without what the script needs wastes none.
    const deployment = flag(input, 'script') ? await prepareDeployment(context, input) : undefined;
    if (deployment !== undefined && !deployment.ok) return deployment;
    const body: Record<string, unknown> = {};
    const name = stringOption(input, 'name');
    if (name !== undefined) body.name = name;
    const expiresIn = stringOption(input, 'expires-in');
    if (expiresIn !== undefined) {
      const seconds = parseDuration(expiresIn);
      if (seconds === null)
        return usageError(`--expires-in must be a duration such as 30m, 24h or 7d, got "${expiresIn}"`);
      body.expiresAt = new Date(now.getTime() + seconds * 1000).toISOString();
    }
    const maxUses = parsePositiveInteger(stringOption(input, 'max-uses'), '--max-uses', 1_000_000);
    if (!maxUses.ok) return maxUses;
    if (maxUses.value !== undefined) body.maxUses = maxUses.value;
    const policy = stringOption(input, 'policy');
    if (policy !== undefined) {
      const policyId = await resolvePolicyId(client, policy, false);
      if (!policyId.ok) return policyId;
      body.policyId = policyId.value;
    }
    const answer = await client.request('POST', '/api/activation-tokens', { body });
    if (!answer.ok) return answer;
    const token = rowOf(answer.value.body, 'the new token');
    if (!token.ok) return token;
    if (deployment !== undefined) return deployment.value.output(token.value);
    const value = token.value;
    const activateCommand = `bulwark-agent activate --manager ${
      typeof value.agentUrl === 'string' ? value.agentUrl : 'https://<manager>:4120'
    } --token ${String(value.token)}`;
    const text = [
      `Token id:       ${String(value.id)}`,
      `Token:          ${String(value.token)}`,
      ...(typeof value.caFingerprint === 'string' ? [`CA (SHA-256):   ${value.caFingerprint}`] : []),
      "The token is shown only now. It carries the manager CA's fingerprint: the agent checks the",
      'manager against it before it sends the token. Activate an agent with:',
      `  ${activateCommand}`,
    ].join('\n');
    return ok({ json: { ...value, activateCommand }, text });
  },
};

const list: Command = {
  group: 'tokens',
  name: 'list',
  args: '',
  summary: 'List activation tokens (never the token values)',
  options: {},
  optionHelp: [],
  positionals: { min: 0, max: 0 },
  async run({ client }) {
    const all = await listAll(client, '/api/activation-tokens', {}, 100_000);
    if (!all.ok) return all;
    const names = await policyNames(client);
    const text = formatTable<Row>(
      [
        { header: 'id', cell: (t) => t.id },
        { header: 'name', cell: (t) => t.name },
        { header: 'uses', cell: (t) => (t.maxUses == null ? `${t.uses ?? 0}` : `${t.uses ?? 0}/${t.maxUses}`) },
        { header: 'expires', cell: (t) => (t.expiresAt == null ? 'never' : formatTime(t.expiresAt)) },
        {
          header: 'policy',
          cell: (t) => (typeof t.policyId === 'string' ? (names.get(t.policyId) ?? t.policyId) : '-'),
        },
        { header: 'state', cell: (t) => t.state },
      ],
      all.value.items,
    );
    return ok({ json: all.value.items, text });
  },
};

const revoke: Command = {
  group: 'tokens',
  name: 'revoke',
  args: 'ID',
  summary: 'Revoke an activation token',
  options: {},
  optionHelp: [],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    const id = idSegment(input.positionals[0]!, 'token');
    if (!id.ok) return id;
    const answer = await client.request('DELETE', `/api/activation-tokens/${id.value}`);
    if (!answer.ok) return answer;
    return ok({
      json: answer.value.body ?? { id: input.positionals[0], revoked: true },
      text: `Revoked token ${input.positionals[0]}`,
    });
  },
};

export const tokenCommands: readonly Command[] = [create, list, revoke];
