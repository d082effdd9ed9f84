import { idSegment, listAll, type Row } from '../api-calls.js';
import { ok, usageError } from '../cli-error.js';
import { type Command, stringOption } from '../command.js';
import { computerNamesOf } from '../computer-names.js';
import { formatTable, formatTime } from '../table.js';

const STATES = ['open', 'acknowledged', 'cleared'];

const list: Command = {
  group: 'alerts',
  name: 'list',
  args: '',
  summary: 'List alerts',
  options: { state: { type: 'string' } },
  optionHelp: [['--state S', 'open, acknowledged or cleared']],
  positionals: { min: 0, max: 0 },
  async run({ client }, input) {
    const state = stringOption(input, 'state');
    if (state !== undefined && !STATES.includes(state))
      return usageError(`--state must be one of ${STATES.join(', ')}`);
    const all = await listAll(client, '/api/alerts', { state }, 100_000);
    if (!all.ok) return all;
    const names = await computerNamesOf(
      client,
      all.value.items.map((a) => a.computerId),
    );
    const text = formatTable<Row>(
      [
        { header: 'id', cell: (a) => a.id },
        { header: 'raised', cell: (a) => formatTime(a.raisedAt) },
        { header: 'state', cell: (a) => a.state },
        { header: 'type', cell: (a) => a.type },
        {
          header: 'computer',
          cell: (a) => (typeof a.computerId === 'string' ? (names.get(a.computerId) ?? a.computerId) : ''),
        },
        { header: 'alert', cell: (a) => a.message },
      ],
      all.value.items,
    );
    return ok({ json: all.value.items, text });
  },
};

function alertAction(name: 'ack' | 'clear', route: 'acknowledge' | 'clear', done: string): Command {
  return {
    group: 'alerts',
    name,
    args: 'ID',
    summary: name === 'ack' ? 'Acknowledge an alert' : 'Clear an alert',
    options: {},
    optionHelp: [],
    positionals: { min: 1, max: 1 },
    async run({ client }, input) {
      const id = idSegment(input.positionals[0]!, 'alert');
      if (!id.ok) return id;
      const answer = await client.request('POST', `/api/alerts/${id.value}/${route}`);
      if (!answer.ok) return answer;
      return ok({
        json: answer.value.body ?? { id: input.positionals[0], state: done },
        text: `Alert ${input.positionals[0]} ${done}`,
      });
    },
  };
}

export const alertCommands: readonly Command[] = [
  list,
  alertAction('ack', 'acknowledge', 'acknowledged'),
  alertAction('clear', 'clear', 'cleared'),
];
