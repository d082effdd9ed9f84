import { rowOf } from '../api-calls.js';
import { ok } from '../cli-error.js';
import { type Command, flag } from '../command.js';
import { targetOptionHelp, targetOptions, targetPath } from './policy-or-computer.js';
import { moduleSegment, readJsonObject, ruleSegment } from './rules.js';

const update: Command = {
  group: 'rules',
  name: 'update',
  args: 'MODULE RULE FILE|-',
  summary: 'Replace a custom rule with the JSON in FILE (or stdin); it keeps its id and assignments',
  options: {},
  optionHelp: [],
  positionals: { min: 3, max: 3 },
  async run({ client, stdin }, input) {
    const module = moduleSegment(input.positionals[0]!);
    if (!module.ok) return module;
    const rule = ruleSegment(input.positionals[1]!);
    if (!rule.ok) return rule;
    const definition = await readJsonObject(input.positionals[2]!, stdin);
    if (!definition.ok) return definition;
    // The file may leave the id out: it is the rule being replaced.
    const body = { ...definition.value, id: definition.value.id ?? input.positionals[1] };
    const answer = await client.request('PUT', `/api/modules/${module.value}/rules/${rule.value}`, { body });
    if (!answer.ok) return answer;
    const result = rowOf(answer.value.body, 'the updated rule');
    if (!result.ok) return result;
    const changed = Array.isArray(result.value.changedComputerIds) ? result.value.changedComputerIds.length : 0;
    return ok({
      json: result.value,
      text: `Updated ${module.value} rule ${input.positionals[1]}; ${changed} computer(s) get a new configuration`,
    });
  },
};

const silence: Command = {
  group: 'rules',
  name: 'silence',
  args: 'MODULE RULE',
  summary:
    "Silence one rule inside an assigned rule (an event's rule id, e.g. loginspect 100302) at a policy or computer; --off ends it",
  options: { ...targetOptions, off: { type: 'boolean' } },
  optionHelp: [...targetOptionHelp('at'), ['--off', 'stop silencing it there']],
  positionals: { min: 2, max: 2 },
  async run({ client }, input) {
    const path = await targetPath(client, input);
    if (!path.ok) return path;
    const module = moduleSegment(input.positionals[0]!);
    if (!module.ok) return module;
    const rule = ruleSegment(input.positionals[1]!);
    if (!rule.ok) return rule;
    const silenced = !flag(input, 'off');
    const answer = await client.request('PUT', `${path.value}/rules/${module.value}/${rule.value}/silenced`, {
      body: { silenced },
    });
    if (!answer.ok) return answer;
    const result = rowOf(answer.value.body, 'the silencing');
    if (!result.ok) return result;
    const r = result.value;
    const changed = Array.isArray(r.changedComputerIds) ? r.changedComputerIds.length : 0;
    const text = silenced
      ? `${input.positionals[1]} is silenced here by ${String(r.silencingRuleId)}${r.created === true ? ' (new)' : ''}; ${changed} computer(s) get a new configuration`
      : `${input.positionals[1]} is no longer silenced here (${String(r.silencingRuleId)} unassigned); ${changed} computer(s) get a new configuration`;
    return ok({ json: r, text });
  },
};

export const ruleChangeCommands: readonly Command[] = [update, silence];
