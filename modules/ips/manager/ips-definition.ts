import type {
  AssignedRule,
  Inventory,
  ManagerModule,
  RuleCheckContext,
  RuleFileImport,
  ValidationIssue,
} from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { IPS_EVENT_TYPE, type IpsConfiguration } from '../engine/ips-configuration.js';
import { type IpsEngineApi, IpsRule } from '../engine/ips-engine-contract.js';
import { ipsSiemFields, presentIpsEvent } from './event-presentation.js';
import { IpsSettings } from './ips-settings.js';
import { ruleVariables } from './ips-variables.js';
import { recommendIpsRules } from './recommend.js';
import { assignedIpsRule } from './rule-overrides.js';
import { readSuricataRule, splitRuleFile } from './suricata-import.js';

/** The engine calls the manager makes: it checks rules as the agent will, before storing them. */
export type IpsManagerEngine = Pick<IpsEngineApi, 'compileIpsRules'>;

const DEFAULT_SETTINGS: IpsSettings = Value.Create(IpsSettings) as IpsSettings;

/**
 * The manager side of intrusion prevention, around an engine: built-in rules (ours), Suricata
 * rule files imported as custom rules, assignment and overrides through the platform, and the
 * configuration each computer gets.
 */
export function createIpsManagerModule(
  engine: IpsManagerEngine,
  builtInRules: readonly IpsRule[],
): ManagerModule<typeof IpsSettings> {
  /** The engine's refusals of one assigned rule, as issues naming the field. */
  function engineIssues(rule: AssignedRule, settings: IpsSettings | null): ValidationIssue[] {
    const assigned = assignedIpsRule(rule.definition, rule.overrides);
    if (!assigned.ok) return assigned.issues;
    const variables = ruleVariables(settings ?? DEFAULT_SETTINGS);
    return engine
      .compileIpsRules([assigned.value], { variables })
      .refused.map((r) => ({ path: '/detection', message: `${r.reasonClass}: ${r.reason}` }));
  }

  function importRules(text: string): RuleFileImport {
    const { rules: texts, skippedLines } = splitRuleFile(text);
    const refused: { line: number; id?: string; reason: string }[] = [];
    const read = new Map<string, { line: number; rule: IpsRule }>();
    for (const { line, text: ruleText } of texts) {
      const r = readSuricataRule(ruleText);
      if (!r.ok) refused.push({ line, ...(r.id ? { id: r.id } : {}), reason: r.reason });
      else if (read.has(r.rule.id))
        refused.push({
          line,
          id: r.rule.id,
          reason: `duplicate sid: ${r.rule.id} first on line ${read.get(r.rule.id)?.line}`,
        });
      else read.set(r.rule.id, { line, rule: r.rule });
    }
    // One compile of the whole file with the default variables: the engine's verdict per rule.
    const entries = [...read.values()];
    const compiled = engine.compileIpsRules(
      entries.map((e) => ({ rule: e.rule })),
      { variables: ruleVariables(DEFAULT_SETTINGS) },
    );
    const refusedIds = new Map(compiled.refused.map((r) => [r.id, `${r.reasonClass}: ${r.reason}`]));
    const rules: IpsRule[] = [];
    for (const e of entries) {
      const reason = refusedIds.get(e.rule.id);
      if (reason === undefined) rules.push(e.rule);
      else refused.push({ line: e.line, id: e.rule.id, reason });
    }
    return { rules, refused: refused.sort((a, b) => a.line - b.line), skippedLines };
  }

  return {
    id: 'ips',
    name: 'Intrusion prevention',
    description:
      'Inspects the traffic of the services a computer runs (HTTP, TLS, DNS, SSH…) and resets connections that carry attacks: ' +
      'our own rules plus imported Suricata rule sets.',
    settings: IpsSettings,
    ruleSchema: IpsRule,
    builtInRules,
    recommend: (inventory: Inventory) => recommendIpsRules(builtInRules, inventory),
    compile: ({ settings, rules }): IpsConfiguration => {
      const assigned: IpsConfiguration['rules'] = [];
      const rejected: IpsConfiguration['rejected'] = [];
      for (const r of rules) {
        const a = assignedIpsRule(r.definition, r.overrides);
        if (a.ok) assigned.push(a.value);
        else rejected.push({ ruleId: r.id, reason: a.issues.map((i) => `${i.path}: ${i.message}`).join('; ') });
      }
      return {
        mode: settings.mode,
        variables: ruleVariables(settings),
        inspectionDepthBytes: settings.inspectionDepthBytes,
        rules: assigned,
        rejected,
      };
    },
    // In place: the engine's verdict with that level's variables. Unplaced (a custom rule being
    // created): fine when it loads with the variables of some level, else the default's issues.
    checkRule: (rule: AssignedRule, context: RuleCheckContext<IpsSettings>) => {
      if (context.settings !== null) return engineIssues(rule, context.settings);
      const places = context.everywhere.length > 0 ? context.everywhere : [DEFAULT_SETTINGS];
      let first: ValidationIssue[] | undefined;
      for (const settings of places) {
        const issues = engineIssues(rule, settings);
        if (issues.length === 0) return [];
        first ??= issues;
      }
      return first ?? [];
    },
    importRules,
    presentEvent: presentIpsEvent,
    siemFields: ipsSiemFields,
    eventTypes: [IPS_EVENT_TYPE],
  };
}
