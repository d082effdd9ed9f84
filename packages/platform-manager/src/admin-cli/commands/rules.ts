import { readFile } from 'node:fs/promises';
import { managerModules } from '../../modules/registry.js';
import { isRow, itemsOf, listAll, parsePositiveInteger, type Row, rowOf } from '../api-calls.js';
import { type CliResult, ExitCode, ok, usageError } from '../cli-error.js';
import { type Command, flag, stringOption } from '../command.js';
import { formatFields, formatTable } from '../table.js';
import { targetOptionHelp, targetOptions, targetPath } from './policy-or-computer.js';

/** A JSON object from a file, or from stdin when the path is `-`. */
export async function readJsonObject(path: string, stdin: NodeJS.ReadableStream): Promise<CliResult<Row>> {
  let text: string;
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      text = await readFile(path, 'utf8');
    }
  } catch (error) {
    return usageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const value: unknown = JSON.parse(text);
    return isRow(value) ? ok(value) : usageError(`${path} must hold one JSON object`);
  } catch (error) {
    return usageError(`${path} is not JSON: ${(error as Error).message}`);
  }
}

export const MODULE_ID = /^[a-z][a-z0-9-]{0,63}$/;
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function moduleSegment(text: string): CliResult<string> {
  return MODULE_ID.test(text)
    ? ok(text)
    : usageError(`"${text}" is not a module id`, `The modules: ${managerModules.map((m) => m.id).join(', ')}`);
}

export function ruleSegment(text: string): CliResult<string> {
  return RULE_ID.test(text) ? ok(encodeURIComponent(text)) : usageError(`"${text}" is not a rule id`);
}

const targetHelp = targetOptionHelp('at');

/** A rule's human name: the fields modules commonly use for one. */
function ruleTitle(rule: Row): string {
  const definition = isRow(rule.definition) ? rule.definition : {};
  for (const field of ['name', 'title', 'description']) {
    if (typeof definition[field] === 'string') return definition[field] as string;
  }
  return '';
}

const sourcesText = (sources: unknown) =>
  Array.isArray(sources)
    ? sources
        .filter(isRow)
        .map((s) => `${s.kind} ${s.name}`)
        .join(', ')
    : '';

const list: Command = {
  group: 'rules',
  name: 'list',
  args: '',
  summary: 'The rule catalogue: built-in and custom rules of every module, or of one',
  options: { module: { type: 'string' }, limit: { type: 'string' } },
  optionHelp: [
    ['--module M', 'only this module (default: every module that has rules)'],
    ['--limit N', 'at most N rules per module (default 1000)'],
  ],
  positionals: { min: 0, max: 0 },
  async run({ client }, input) {
    const moduleText = stringOption(input, 'module');
    const limit = parsePositiveInteger(stringOption(input, 'limit'), '--limit', 100_000);
    if (!limit.ok) return limit;
    let modules: string[];
    if (moduleText !== undefined) {
      const module = moduleSegment(moduleText);
      if (!module.ok) return module;
      modules = [module.value];
    } else {
      const answer = await client.request('GET', '/api/modules');
      if (!answer.ok) return answer;
      modules = itemsOf(answer.value.body)
        .map((m) => m.id)
        .filter((id): id is string => typeof id === 'string' && MODULE_ID.test(id));
    }
    const items: Row[] = [];
    for (const module of modules) {
      const rules = await listAll(client, `/api/modules/${module}/rules`, {}, limit.value ?? 1000);
      // Without --module, a catalogue entry that is not a rule module (the platform's settings) has no rules.
      if (!rules.ok && moduleText === undefined && rules.error.exitCode === ExitCode.notFound) continue;
      if (!rules.ok) return rules;
      items.push(...rules.value.items);
    }
    const text = formatTable<Row>(
      [
        ...(moduleText === undefined ? [{ header: 'module', cell: (r: Row) => r.module }] : []),
        { header: 'id', cell: (r) => r.id },
        { header: 'origin', cell: (r) => (r.builtIn === true ? 'built-in' : 'custom') },
        { header: 'name', cell: ruleTitle },
      ],
      items,
    );
    return ok({ json: items, text });
  },
};

const show: Command = {
  group: 'rules',
  name: 'show',
  args: 'MODULE RULE',
  summary: 'One rule: its definition, where it is assigned, whether it is excluded from recommendations',
  options: {},
  optionHelp: [],
  positionals: { min: 2, max: 2 },
  async run({ client }, input) {
    const module = moduleSegment(input.positionals[0]!);
    if (!module.ok) return module;
    const rule = ruleSegment(input.positionals[1]!);
    if (!rule.ok) return rule;
    const answer = await client.request('GET', `/api/modules/${module.value}/rules/${rule.value}`);
    if (!answer.ok) return answer;
    const row = rowOf(answer.value.body, 'the rule');
    if (!row.ok) return row;
    const r = row.value;
    const assignedTo = Array.isArray(r.assignedTo) ? r.assignedTo.filter(isRow) : [];
    const inner = isRow(r.innerRule) ? r.innerRule : undefined;
    const lead =
      inner === undefined
        ? ''
        : `${String(inner.id)} (${String(inner.description)}) is a rule inside ${String(r.id)}: assign, exclude or override ${String(r.id)}, ` +
          `or silence ${String(inner.id)} alone with: bulwark rules silence --policy P ${String(r.module)} ${String(inner.id)}\n\n`;
    const fields = formatFields([
      ['id', r.id],
      ['module', r.module],
      ['origin', r.builtIn === true ? 'built-in' : 'custom'],
      ['name', ruleTitle(r)],
      ['excluded from recommendations', r.excludedFromRecommendations === true ? 'yes' : 'no'],
      ['definition', r.definition],
    ]);
    const table = formatTable<Row>(
      [
        { header: 'kind', cell: (s) => s.kind },
        { header: 'name', cell: (s) => s.name },
        { header: 'id', cell: (s) => s.id },
      ],
      assignedTo,
    );
    return ok({ json: r, text: `${lead}${fields}\n\nAssigned to\n${table}` });
  },
};

function changeCommand(name: 'assign' | 'unassign'): Command {
  return {
    group: 'rules',
    name,
    args: 'MODULE RULE…',
    summary:
      name === 'assign'
        ? 'Assign rules directly at a policy or computer'
        : 'Remove rules assigned directly at a policy or computer',
    options: targetOptions,
    optionHelp: targetHelp,
    positionals: { min: 2, max: 501 },
    async run({ client }, input) {
      const path = await targetPath(client, input);
      if (!path.ok) return path;
      const module = moduleSegment(input.positionals[0]!);
      if (!module.ok) return module;
      const ruleIds = input.positionals.slice(1);
      for (const id of ruleIds) {
        const checked = ruleSegment(id);
        if (!checked.ok) return checked;
      }
      const answer = await client.request(name === 'assign' ? 'POST' : 'DELETE', `${path.value}/rules`, {
        body: { module: module.value, ruleIds },
      });
      if (!answer.ok) return answer;
      const body = rowOf(answer.value.body, `the ${name}ment`);
      if (!body.ok) return body;
      const done = (body.value[name === 'assign' ? 'assigned' : 'unassigned'] as unknown[] | undefined) ?? [];
      const changed = (body.value.changedComputerIds as unknown[] | undefined) ?? [];
      const verb = name === 'assign' ? 'Assigned' : 'Unassigned';
      const text =
        done.length === 0
          ? `Nothing to do: ${ruleIds.join(', ')} already assigned there`
          : `${verb} ${done.join(', ')}; ${changed.length} computer(s) get a new configuration`;
      return ok({ json: body.value, text });
    },
  };
}

const effective: Command = {
  group: 'rules',
  name: 'effective',
  args: '',
  summary: 'The rules in force at a policy or computer, and where each is assigned',
  options: { ...targetOptions, module: { type: 'string' } },
  optionHelp: [...targetHelp, ['--module M', 'only this module']],
  positionals: { min: 0, max: 0 },
  async run({ client }, input) {
    const path = await targetPath(client, input);
    if (!path.ok) return path;
    const moduleText = stringOption(input, 'module');
    if (moduleText !== undefined) {
      const module = moduleSegment(moduleText);
      if (!module.ok) return module;
    }
    const answer = await client.request('GET', `${path.value}/rules`, { query: { module: moduleText } });
    if (!answer.ok) return answer;
    const rules = itemsOf(answer.value.body);
    const text = formatTable<Row>(
      [
        { header: 'module', cell: (r) => r.module },
        { header: 'id', cell: (r) => r.id },
        { header: 'name', cell: ruleTitle },
        { header: 'assigned at', cell: (r) => sourcesText(r.assignedAt) },
        {
          header: 'overrides',
          cell: (r) => (isRow(r.overrides) && Object.keys(r.overrides).length > 0 ? r.overrides : ''),
        },
      ],
      rules,
    );
    return ok({ json: rules, text });
  },
};

const exclude: Command = {
  group: 'rules',
  name: 'exclude',
  args: 'MODULE RULE',
  summary: 'Exclude a rule from recommendations (auto-apply never assigns it); --off includes it again',
  options: { off: { type: 'boolean' } },
  optionHelp: [['--off', 'include it in recommendations again']],
  positionals: { min: 2, max: 2 },
  async run({ client }, input) {
    const module = moduleSegment(input.positionals[0]!);
    if (!module.ok) return module;
    const rule = ruleSegment(input.positionals[1]!);
    if (!rule.ok) return rule;
    const excluded = !flag(input, 'off');
    const answer = await client.request(
      'PUT',
      `/api/modules/${module.value}/rules/${rule.value}/exclude-from-recommendations`,
      { body: { excluded } },
    );
    if (!answer.ok) return answer;
    const json = answer.value.body ?? { module: module.value, ruleId: input.positionals[1], excluded };
    const text = `${input.positionals[1]} is ${excluded ? 'excluded from' : 'included in'} recommendations`;
    return ok({ json, text });
  },
};

const create: Command = {
  group: 'rules',
  name: 'create',
  args: 'MODULE FILE|-',
  summary: "Add a custom rule from a JSON file (or stdin), checked against the module's rule schema",
  options: {},
  optionHelp: [],
  positionals: { min: 2, max: 2 },
  async run({ client, stdin }, input) {
    const module = moduleSegment(input.positionals[0]!);
    if (!module.ok) return module;
    const rule = await readJsonObject(input.positionals[1]!, stdin);
    if (!rule.ok) return rule;
    const answer = await client.request('POST', `/api/modules/${module.value}/rules`, { body: rule.value });
    if (!answer.ok) return answer;
    return ok({ json: answer.value.body, text: `Created ${module.value} rule ${String(rule.value.id)}` });
  },
};

/** The text of a file, or of stdin when the path is `-`. */
async function readText(path: string, stdin: NodeJS.ReadableStream): Promise<CliResult<string>> {
  try {
    if (path !== '-') return ok(await readFile(path, 'utf8'));
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk as Buffer));
    return ok(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    return usageError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

const importFile: Command = {
  group: 'rules',
  name: 'import',
  args: 'MODULE FILE|-',
  summary: 'Import a rule file the module loads as it is (ips: a Suricata .rules file); refused rules are listed',
  options: {},
  optionHelp: [],
  positionals: { min: 2, max: 2 },
  async run({ client, stdin }, input) {
    const module = moduleSegment(input.positionals[0]!);
    if (!module.ok) return module;
    const text = await readText(input.positionals[1]!, stdin);
    if (!text.ok) return text;
    const answer = await client.request('POST', `/api/modules/${module.value}/rules/import`, {
      body: { text: text.value },
    });
    if (!answer.ok) return answer;
    const body = rowOf(answer.value.body, 'the import');
    if (!body.ok) return body;
    const r = body.value;
    const reasons = isRow(r.refusedByReason) ? Object.entries(r.refusedByReason) : [];
    const lines = [
      `${module.value}: ${String(r.added)} added, ${String(r.replaced)} replaced, ${String(r.unchanged)} unchanged, ` +
        `${Array.isArray(r.refused) ? r.refused.length : 0} refused, ${String(r.skippedLines)} lines skipped`,
      ...reasons.map(([reason, count]) => `  refused ${String(count)}: ${reason}`),
    ];
    return ok({ json: r, text: lines.join('\n') });
  },
};

const remove: Command = {
  group: 'rules',
  name: 'delete',
  args: 'MODULE RULE',
  summary: 'Delete a custom rule that nothing assigns',
  options: {},
  optionHelp: [],
  positionals: { min: 2, max: 2 },
  async run({ client }, input) {
    const module = moduleSegment(input.positionals[0]!);
    if (!module.ok) return module;
    const rule = ruleSegment(input.positionals[1]!);
    if (!rule.ok) return rule;
    const answer = await client.request('DELETE', `/api/modules/${module.value}/rules/${rule.value}`);
    if (!answer.ok) return answer;
    return ok({ json: answer.value.body, text: `Deleted ${module.value} rule ${input.positionals[1]}` });
  },
};

const override: Command = {
  group: 'rules',
  name: 'override',
  args: 'MODULE RULE JSON',
  summary: 'Override rule properties at a policy or computer, e.g. \'{"mode":"detect"}\' ({} removes them)',
  options: targetOptions,
  optionHelp: targetHelp,
  positionals: { min: 3, max: 3 },
  async run({ client }, input) {
    const path = await targetPath(client, input);
    if (!path.ok) return path;
    const module = moduleSegment(input.positionals[0]!);
    if (!module.ok) return module;
    const rule = ruleSegment(input.positionals[1]!);
    if (!rule.ok) return rule;
    let overrides: unknown;
    try {
      overrides = JSON.parse(input.positionals[2]!);
    } catch {
      return usageError('the overrides must be a JSON object, e.g. \'{"mode":"detect"}\'');
    }
    if (!isRow(overrides)) return usageError('the overrides must be a JSON object, e.g. \'{"mode":"detect"}\'');
    const answer = await client.request('PUT', `${path.value}/rules/${module.value}/${rule.value}/overrides`, {
      body: { overrides },
    });
    if (!answer.ok) return answer;
    const text =
      Object.keys(overrides).length === 0
        ? `${input.positionals[1]}: overrides removed here`
        : `${input.positionals[1]}: ${JSON.stringify(overrides)}`;
    return ok({ json: answer.value.body, text });
  },
};

export const ruleCommands: readonly Command[] = [
  list,
  show,
  changeCommand('assign'),
  changeCommand('unassign'),
  effective,
  override,
  exclude,
  create,
  importFile,
  remove,
];
