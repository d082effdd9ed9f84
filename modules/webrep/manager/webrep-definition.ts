import type { AgentEvent, ManagerModule, ValidationIssue } from '@bulwark/protocol';
import {
  type CsvMapping,
  describeTarget,
  importList,
  LIST_FORMATS,
  type ListFormat,
  parseReputationFeed,
  parseTarget,
  type WebrepConfiguration,
} from '../engine/index.js';
import { WebrepSettings } from './webrep-settings.js';

/** The update-package kind of the reputation data (docs/update-packages.md). */
export const REPUTATION_KIND = 'webrep-reputation';

export const WEBREP_EVENT_TYPES = ['webrep.blocked'] as const;

const LIST_SETTINGS = new Set(['allow', 'block', 'exceptions']);

function checkSetting(property: string, value: unknown): ValidationIssue[] {
  if (!LIST_SETTINGS.has(property) || !Array.isArray(value)) return [];
  const issues: ValidationIssue[] = [];
  value.forEach((entry, i) => {
    const parsed = parseTarget(String(entry));
    if (!parsed.ok) issues.push({ path: `/${i}`, message: parsed.error });
  });
  return issues.slice(0, 100);
}

/** The reputation data must parse whole: a feed with a bad line is refused, naming the lines. */
function checkFeed(content: Uint8Array): string[] {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(content);
  const parsed = parseReputationFeed(text);
  const problems = parsed.errors.map((e) => `line ${e.line}: ${e.message}`);
  if (parsed.errorCount > parsed.errors.length) problems.push(`… ${parsed.errorCount - parsed.errors.length} more`);
  if (parsed.entries.length === 0 && parsed.errorCount === 0)
    problems.push('no entries (a header line "target,risk,category" and one line per host or URL)');
  return problems;
}

/** The manager side of the module: what the platform's registry lists. */
export const managerModule: ManagerModule<typeof WebrepSettings> = {
  id: 'webrep',
  name: 'Web reputation',
  description:
    'Blocks outbound HTTP and HTTPS to hosts, URLs and addresses by allow and block lists and by reputation data (risk and category).',
  settings: WebrepSettings,
  updateKinds: [
    {
      kind: REPUTATION_KIND,
      description: 'Reputation data: CSV "target,risk,category" (risk 0 safe … 100 dangerous)',
      check: checkFeed,
    },
  ],
  compile: ({ settings, platform, updates }): WebrepConfiguration => {
    const feed = updates?.[REPUTATION_KIND];
    return {
      detectOnly: settings.mode === 'detect' || platform.networkEngineMode === 'tap',
      securityLevel: settings.securityLevel,
      blockUnrated: settings.blockUnrated,
      blockedCategories: settings.blockedCategories.map((c) => c.toLowerCase()),
      allow: [...settings.allow, ...settings.exceptions],
      block: settings.block,
      reputation: feed === undefined ? null : { version: feed.version, sha256: feed.sha256 },
      httpPorts: settings.httpPorts,
      tlsPorts: settings.tlsPorts,
      blockPage: settings.blockPage,
    };
  },
  checkSetting,
  listImport: {
    formats: ['plain', 'hosts', 'urls', 'csv'],
    optionHelp: [
      ['--format plain|hosts|urls|csv', 'web reputation: one entry a line, a hosts file, URLs, or CSV (--column)'],
    ],
    read(format, text, options) {
      if (!(LIST_FORMATS as readonly string[]).includes(format)) return { refused: `unknown format ${format}` };
      let mapping: CsvMapping | undefined;
      if (format === 'csv') {
        const column = options.column ?? '1';
        mapping = /^\d+$/.test(column) ? { target: Number(column) } : { target: column };
      }
      const result = importList(text, format as ListFormat, mapping);
      return {
        items: result.entries.map((e) => describeTarget(e.pattern)),
        errors: result.errors,
        errorCount: result.errorCount,
      };
    },
  },
  eventTypes: WEBREP_EVENT_TYPES,
  presentEvent: (event: AgentEvent) => ({ title: event.summary }),
};
