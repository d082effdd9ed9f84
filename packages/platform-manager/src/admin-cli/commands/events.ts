import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { listAll, parsePositiveInteger, type Row } from '../api-calls.js';
import { type CliResult, ExitCode, fail, ok, usageError } from '../cli-error.js';
import { type Command, type CommandOutput, stringOption } from '../command.js';
import { eventFilterHelp, eventFilterOptions, eventQuery } from '../event-filters.js';
import type { StreamProgress } from '../manager-client.js';
import { formatTable, formatTime } from '../table.js';

/**
 * The event's rule, and the rule to assign, exclude or silence for it when that is another one
 * (log inspection: `100302 (loginspect.su)`).
 */
function ruleCell(e: Row): string {
  if (typeof e.ruleId !== 'string') return '';
  return typeof e.assignableRuleId === 'string' && e.assignableRuleId !== e.ruleId
    ? `${e.ruleId} (${e.assignableRuleId})`
    : e.ruleId;
}

const list: Command = {
  group: 'events',
  name: 'list',
  args: '',
  summary: 'Search events, newest first',
  options: { ...eventFilterOptions, limit: { type: 'string' } },
  optionHelp: [...eventFilterHelp, ['--limit N', 'at most N events (default 50; use events export for bulk)']],
  positionals: { min: 0, max: 0 },
  async run({ client, now }, input) {
    const query = await eventQuery(client, input, now);
    if (!query.ok) return query;
    const limit = parsePositiveInteger(stringOption(input, 'limit'), '--limit', 100_000);
    if (!limit.ok) return limit;
    const all = await listAll(client, '/api/events', query.value, limit.value ?? 50);
    if (!all.ok) return all;
    const text = formatTable<Row>(
      [
        { header: 'time', cell: (e) => formatTime(e.time ?? e.receivedAt) },
        { header: 'severity', cell: (e) => e.severity },
        { header: 'computer', cell: (e) => e.computerName ?? e.computerId },
        { header: 'module', cell: (e) => e.module },
        { header: 'rule', cell: ruleCell },
        { header: 'action', cell: (e) => e.action ?? '' },
        { header: 'summary', cell: (e) => e.summary },
      ],
      all.value.items,
    );
    const more = all.value.nextCursor !== null ? `\n(more events match: raise --limit or use events export)` : '';
    return ok({ json: all.value.items, text: text + more });
  },
};

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function progressLine(progress: StreamProgress): string {
  const seconds = progress.elapsedMs / 1000;
  const rate = seconds > 0 ? progress.bytes / seconds : 0;
  return `exporting: ${formatBytes(progress.bytes)} in ${seconds.toFixed(0)} s (${formatBytes(rate)}/s)`;
}

const exportCommand: Command = {
  group: 'events',
  name: 'export',
  args: '',
  summary: 'Export matching events as CSV or JSON, streamed (progress on stderr)',
  options: { ...eventFilterOptions, format: { type: 'string' }, output: { type: 'string', short: 'o' } },
  optionHelp: [
    ['--format csv|json', 'default csv'],
    ['--output FILE, -o', 'write to FILE (written whole or not at all); default stdout'],
    ...eventFilterHelp,
  ],
  positionals: { min: 0, max: 0 },
  async run({ client, now, stdout, stderr }, input): Promise<CliResult<CommandOutput>> {
    const format = stringOption(input, 'format') ?? 'csv';
    if (format !== 'csv' && format !== 'json') return usageError(`--format must be csv or json, got "${format}"`);
    const query = await eventQuery(client, input, now);
    if (!query.ok) return query;
    const output = stringOption(input, 'output');
    const progress = (p: StreamProgress) => stderr.write(`${progressLine(p)}\n`);
    const params = { ...query.value, format };
    if (output === undefined) {
      const streamed = await client.stream('/api/events/export', params, stdout, progress);
      if (!streamed.ok) return streamed;
      return ok({ json: null, text: '', written: true });
    }
    // A partial file under the final name would look like a complete export: write aside, then rename.
    const partial = `${output}.partial`;
    const file = createWriteStream(partial, { flags: 'w', mode: 0o600 });
    const opened = await new Promise<Error | null>((resolve) => {
      file.once('open', () => resolve(null));
      file.once('error', resolve);
    });
    if (opened !== null) return usageError(`cannot write ${partial}: ${opened.message}`);
    const streamed = await client.stream('/api/events/export', params, file, progress);
    file.end();
    try {
      await finished(file);
    } catch (error) {
      await rm(partial, { force: true });
      return fail(ExitCode.failure, `writing ${output} failed: ${(error as Error).message}`);
    }
    if (!streamed.ok) {
      await rm(partial, { force: true });
      return streamed;
    }
    await rename(partial, output);
    const summary = { output, format, bytes: streamed.value.bytes, elapsedMs: streamed.value.elapsedMs };
    return ok({ json: summary, text: `Exported ${formatBytes(streamed.value.bytes)} of ${format} to ${output}` });
  },
};

export const eventCommands: readonly Command[] = [list, exportCommand];
