import { isRow, rowOf } from '../api-calls.js';
import { usageError } from '../cli-error.js';
import { type Command, flag } from '../command.js';
import { computerPath } from '../computer-names.js';
import { formatFields, formatTime } from '../table.js';

const byModuleText = (value: unknown) =>
  isRow(value)
    ? Object.entries(value)
        .map(([module, ids]) => `${module}: ${Array.isArray(ids) ? ids.join(', ') : ''}`)
        .join('; ') || '(none)'
    : '(none)';

/** Recommended rules auto-apply left out (`{ module: [{ id, reason }] }`): the ids sharing a reason, then why. */
function notAppliedText(value: unknown): string {
  if (!isRow(value)) return '(none)';
  const groups: string[] = [];
  for (const [module, rules] of Object.entries(value)) {
    const byReason = new Map<string, string[]>();
    for (const r of Array.isArray(rules) ? rules : []) {
      if (!isRow(r)) continue;
      const reason = String(r.reason);
      byReason.set(reason, [...(byReason.get(reason) ?? []), String(r.id)]);
    }
    for (const [reason, ids] of byReason) groups.push(`${module}: ${ids.join(', ')} (${reason})`);
  }
  return groups.join('; ') || '(none)';
}

const recommend: Command = {
  group: 'computers',
  name: 'recommend',
  args: 'ID|NAME',
  summary: "Run a recommendation scan on a computer's inventory (--apply assigns the safe rules), or show the last one",
  options: { apply: { type: 'boolean' }, last: { type: 'boolean' } },
  optionHelp: [
    ['--apply', 'assign (at the computer) recommended rules not excluded and not already in force'],
    ['--last', 'show the last scan instead of running one'],
  ],
  positionals: { min: 1, max: 1 },
  async run({ client }, input) {
    if (flag(input, 'apply') && flag(input, 'last')) return usageError('give --apply or --last, not both');
    const path = await computerPath(client, input.positionals[0]!);
    if (!path.ok) return path;
    const answer = flag(input, 'last')
      ? await client.request('GET', `${path.value}/recommendation-scan`)
      : await client.request('POST', `${path.value}/recommendation-scan`, {
          body: { autoApply: flag(input, 'apply') },
        });
    if (!answer.ok) return answer;
    const body = rowOf(answer.value.body, 'the recommendation scan');
    if (!body.ok) return body;
    const r = body.value;
    const text = formatFields([
      ['scanned at', formatTime(r.scannedAt)],
      ['recommended', byModuleText(r.recommended)],
      ['applied', byModuleText(r.applied)],
      ['excluded', byModuleText(r.excluded)],
      ['not applied', notAppliedText(r.notApplied)],
    ]);
    return { ok: true, value: { json: r, text } };
  },
};

export const recommendationCommands: readonly Command[] = [recommend];
