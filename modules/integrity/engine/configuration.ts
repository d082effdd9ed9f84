import { type Static, Type } from '@sinclair/typebox';
import { CompiledRule } from './rule.js';

/** Module settings (keys `integrity.<name>`); every property has a default, as the contract requires. */
export const IntegritySettings = Type.Object(
  {
    enabled: Type.Boolean({ default: false }),
    schedule: Type.String({
      default: 'every 60m',
      maxLength: 256,
      description:
        'When to scan: "every <n>m" / "every <n>h" (interval), a 5-field cron expression in UTC, or "off" (on demand and at start only)',
    }),
    realTime: Type.Boolean({ default: true, description: 'Watch file rules for changes as they happen' }),
    scanOnStart: Type.Boolean({
      default: true,
      description: 'Scan when the agent starts, so changes made while it was stopped are reported',
    }),
    exclusions: Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
      default: [],
      maxItems: 1000,
      description: 'Globs excluded from every file rule (logs, databases, caches)',
    }),
    trustUnchangedMetadata: Type.Boolean({
      default: true,
      description:
        'During scheduled scans, reuse stored hashes of files whose inode, size, mtime and ctime are unchanged (ctime cannot be set back without changing the clock)',
    }),
    maxEntriesPerRule: Type.Integer({ default: 1_000_000, minimum: 1, maximum: 50_000_000 }),
    maxWatchedDirectories: Type.Integer({ default: 16_384, minimum: 0, maximum: 1_000_000 }),
    fanotify: Type.Boolean({
      default: true,
      description:
        "When a file rule has more directories than inotify watches are left for, report writes in the rest through a fanotify close-write mark on the rule's mount (needs root and the kernel addon; deletions, renames and permission changes there still wait for the next scan)",
    }),
    debounceMilliseconds: Type.Integer({ default: 50, minimum: 0, maximum: 60_000 }),
    hashWorkers: Type.Integer({ default: 0, minimum: 0, maximum: 64, description: '0 = one per CPU core' }),
  },
  { additionalProperties: false },
);
export type IntegritySettings = Static<typeof IntegritySettings>;

/** What the manager compiles for one computer and the agent applies. */
export const IntegrityConfiguration = Type.Object(
  {
    settings: IntegritySettings,
    rules: Type.Array(CompiledRule, { maxItems: 10_000 }),
    rejectedRules: Type.Array(
      Type.Object({ id: Type.String(), reason: Type.String() }, { additionalProperties: false }),
      {
        maxItems: 10_000,
      },
    ),
  },
  { additionalProperties: false },
);
export type IntegrityConfiguration = Static<typeof IntegrityConfiguration>;
