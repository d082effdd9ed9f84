import { setTimeout as delay } from 'node:timers/promises';
import type { ManagerModule } from '@bulwark/protocol';
import { idSegment, isRow, type Row, rowOf } from '../api-calls.js';
import { type CliResult, ExitCode, fail, ok, usageError } from '../cli-error.js';
import { type Command, type CommandContext, type CommandOutput, flag, stringOption } from '../command.js';
import { resolveComputerId } from '../computer-names.js';
import { cellText, formatFields, formatTable, formatTime } from '../table.js';

const FINISHED = new Set(['succeeded', 'failed']);
/** Polling --wait: quick at first (a scan of a few files takes a second), then every few seconds. */
const POLL_MS = [250, 500, 1000, 2000, 3000];

const WAIT_HELP = ['--wait', 'wait until the agent has run it (progress on stderr); exit 1 if it failed'] as const;

function describeCommand(c: Row): string {
  return `${String(c.module)} ${String(c.command)}`;
}

function resultText(c: Row): string {
  const fields = formatFields([
    [
      'Command',
      `${describeCommand(c)} ${c.arguments && Object.keys(c.arguments).length > 0 ? cellText(c.arguments) : ''}`,
    ],
    ['ID', c.id],
    ['Status', c.status],
    ['Message', c.message],
    ['Created', `${formatTime(c.createdAt)} by ${String(c.createdBy)}`],
    ['Sent', formatTime(c.sentAt)],
    ['Finished', formatTime(c.finishedAt)],
  ]);
  return c.result === null || c.result === undefined
    ? fields
    : `${fields}\n\nResult\n${JSON.stringify(c.result, null, 2)}`;
}

/** Polls the command until it finished, telling stderr each status it passes through. */
async function waitFor(context: CommandContext, computerId: string, command: Row): Promise<CliResult<Row>> {
  const started = Date.now();
  let current = command;
  let announced = '';
  for (let poll = 0; !FINISHED.has(String(current.status)); poll++) {
    const status = String(current.status);
    if (status !== announced) {
      const what = status === 'queued' ? 'waiting for the agent to fetch it (it was woken)' : 'the agent is running it';
      context.stderr.write(`${describeCommand(current)}: ${status}, ${what}\n`);
      announced = status;
    } else if (poll % 10 === 0) {
      context.stderr.write(
        `${describeCommand(current)}: still ${status} after ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
    }
    await delay(POLL_MS[Math.min(poll, POLL_MS.length - 1)]!);
    const answer = await context.client.request('GET', `/api/computers/${computerId}/commands/${String(current.id)}`);
    if (!answer.ok) return answer;
    const row = rowOf(answer.value.body, 'the command');
    if (!row.ok) return row;
    current = row.value;
  }
  context.stderr.write(
    `${describeCommand(current)}: ${String(current.status)} after ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
  return ok(current);
}

/** Creates a command, and with --wait follows it to its end. */
async function send(
  context: CommandContext,
  rawId: string,
  body: { module: string; command: string; arguments?: Record<string, unknown> },
  wait: boolean,
): Promise<CliResult<CommandOutput>> {
  const id = await resolveComputerId(context.client, rawId);
  if (!id.ok) return id;
  const answer = await context.client.request('POST', `/api/computers/${id.value}/commands`, { body });
  if (!answer.ok) return answer;
  const created = rowOf(answer.value.body, 'the new command');
  if (!created.ok) return created;
  if (!wait) {
    const text = `${describeCommand(created.value)} queued as command ${String(created.value.id)}; follow it with --wait or: bulwark computers command-status ${rawId} ${String(created.value.id)}`;
    return ok({ json: created.value, text });
  }
  const done = await waitFor(context, id.value, created.value);
  if (!done.ok) return done;
  if (done.value.status === 'failed') {
    // With --json the command is still printed, so scripts see the whole record.
    if (context.json) context.stdout.write(`${JSON.stringify(done.value, null, 2)}\n`);
    return fail(
      ExitCode.failure,
      `${describeCommand(done.value)} failed: ${String(done.value.message ?? 'no reason given')}`,
    );
  }
  return ok({ json: done.value, text: resultText(done.value) });
}

/** `bulwark computers <verb> ID [--option V]… [--wait]` for each module command that declares a CLI verb. */
export function moduleCommandVerbs(modules: readonly Pick<ManagerModule, 'id' | 'commands'>[]): Command[] {
  const verbs: Command[] = [];
  for (const module of modules) {
    for (const definition of module.commands ?? []) {
      const cli = definition.cli;
      if (cli === undefined) continue;
      const options = cli.options ?? [];
      verbs.push({
        group: 'computers',
        name: cli.verb,
        args: 'ID|NAME',
        summary: cli.summary,
        options: {
          ...Object.fromEntries(options.map((o) => [o.flag, { type: 'string' as const }])),
          wait: { type: 'boolean' },
        },
        optionHelp: [...options.map((o) => [`--${o.flag} VALUE`, o.help] as const), WAIT_HELP],
        positionals: { min: 1, max: 1 },
        run: (context, input) => {
          const args: Record<string, unknown> = {};
          for (const o of options) {
            const value = stringOption(input, o.flag);
            if (value !== undefined) args[o.argument] = value;
          }
          return send(
            context,
            input.positionals[0]!,
            {
              module: module.id,
              command: definition.name,
              ...(Object.keys(args).length > 0 ? { arguments: args } : {}),
            },
            flag(input, 'wait'),
          );
        },
      });
    }
  }
  return verbs;
}

const generic: Command = {
  group: 'computers',
  name: 'command',
  args: 'ID|NAME',
  summary: "Send a command to one of the computer's modules",
  options: {
    module: { type: 'string' },
    command: { type: 'string' },
    args: { type: 'string' },
    wait: { type: 'boolean' },
  },
  optionHelp: [
    ['--module M', 'the module id'],
    ['--command C', 'the command, e.g. scan'],
    ['--args JSON', 'arguments as a JSON object, e.g. \'{"ruleId":"etc-passwd"}\''],
    WAIT_HELP,
  ],
  positionals: { min: 1, max: 1 },
  run: (context, input) => {
    const module = stringOption(input, 'module');
    const command = stringOption(input, 'command');
    if (module === undefined || command === undefined)
      return Promise.resolve(usageError('--module and --command are required'));
    const text = stringOption(input, 'args');
    let args: unknown;
    try {
      args = text === undefined ? undefined : JSON.parse(text);
    } catch (error) {
      return Promise.resolve(usageError(`--args is not JSON: ${(error as Error).message}`));
    }
    if (args !== undefined && !isRow(args)) return Promise.resolve(usageError('--args must be a JSON object'));
    return send(
      context,
      input.positionals[0]!,
      { module, command, ...(args === undefined ? {} : { arguments: args }) },
      flag(input, 'wait'),
    );
  },
};

const status: Command = {
  group: 'computers',
  name: 'command-status',
  args: 'ID|NAME [COMMAND_ID]',
  summary: "A computer's commands, newest first, or one of them",
  options: { wait: { type: 'boolean' } },
  optionHelp: [WAIT_HELP],
  positionals: { min: 1, max: 2 },
  async run(context, input) {
    const id = await resolveComputerId(context.client, input.positionals[0]!);
    if (!id.ok) return id;
    const commandId = input.positionals[1];
    if (commandId === undefined) {
      const answer = await context.client.request('GET', `/api/computers/${id.value}/commands`, {
        query: { limit: 50 },
      });
      if (!answer.ok) return answer;
      const items =
        isRow(answer.value.body) && Array.isArray(answer.value.body.items) ? answer.value.body.items.filter(isRow) : [];
      const text = formatTable<Row>(
        [
          { header: 'id', cell: (c) => c.id },
          { header: 'command', cell: describeCommand },
          { header: 'status', cell: (c) => c.status },
          { header: 'created', cell: (c) => formatTime(c.createdAt) },
          { header: 'message', cell: (c) => c.message ?? '' },
        ],
        items,
      );
      return ok({ json: items, text });
    }
    const segment = idSegment(commandId, 'command');
    if (!segment.ok) return segment;
    const answer = await context.client.request('GET', `/api/computers/${id.value}/commands/${segment.value}`);
    if (!answer.ok) return answer;
    const row = rowOf(answer.value.body, 'the command');
    if (!row.ok) return row;
    if (!flag(input, 'wait')) return ok({ json: row.value, text: resultText(row.value) });
    const done = await waitFor(context, id.value, row.value);
    return done.ok ? ok({ json: done.value, text: resultText(done.value) }) : done;
  },
};

/** The generic command verbs; the modules' own verbs come from moduleCommandVerbs. */
export const computerCommandCommands: readonly Command[] = [generic, status];
