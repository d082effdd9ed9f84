import { sql } from 'kysely';
import { COMPUTER_STATUSES, type ComputerStatus, deriveStatus } from './computer-status.js';
import type { ServiceContext } from './context.js';
import { guarded, type Result } from './result.js';

/** The console's first page in one answer: counts only, so it costs the same with 10 or 10,000 computers. */
export interface DashboardSummary {
  readonly from: string;
  readonly to: string;
  readonly bucketMinutes: number;
  readonly computersByStatus: Readonly<Record<ComputerStatus, number>>;
  /** Events per module per time bucket (bucket start), oldest first; buckets without events are left out. */
  readonly eventsOverTime: readonly { readonly bucket: string; readonly module: string; readonly count: number }[];
  /** The rules with the most events in the window, most first (at most 10). */
  readonly topRules: readonly { readonly module: string; readonly ruleId: string; readonly count: number }[];
  readonly openAlerts: number;
}

export const DASHBOARD_MAX_HOURS = 24 * 31;

/** Bucket width for a window: about 24-48 buckets whatever the window. */
function bucketMinutesFor(hours: number): number {
  if (hours <= 6) return 15;
  if (hours <= 48) return 60;
  if (hours <= 24 * 7) return 360;
  return 1440;
}

export function dashboardService(ctx: ServiceContext) {
  async function summary(query: { hours?: number } = {}): Promise<Result<DashboardSummary>> {
    return guarded(async () => {
      const hours = Math.min(Math.max(query.hours ?? 24, 1), DASHBOARD_MAX_HOURS);
      const bucketMinutes = bucketMinutesFor(hours);
      const bucketMs = bucketMinutes * 60_000;
      const to = ctx.now();
      const from = to - hours * 3_600_000;

      const statusRows = await ctx.db
        .selectFrom('computers')
        .select([
          'deactivated_at',
          'offline_since',
          'last_heartbeat_at',
          'config_error',
          'module_status_json',
          'applied_config_version',
          'config_version',
        ])
        .execute();
      const computersByStatus = Object.fromEntries(COMPUTER_STATUSES.map((s) => [s, 0])) as Record<
        ComputerStatus,
        number
      >;
      for (const row of statusRows) computersByStatus[deriveStatus(row).status] += 1;

      const bucketStart = sql<number>`(${sql.ref('time')} - (${sql.ref('time')} % ${bucketMs}))`;
      const buckets = await ctx.db
        .selectFrom('events')
        .select([bucketStart.as('bucket'), 'module', (eb) => eb.fn.countAll<number>().as('count')])
        .where('time', '>=', from)
        .where('time', '<=', to)
        .groupBy([bucketStart, 'module'])
        .orderBy(bucketStart)
        .execute();
      const topRules = await ctx.db
        .selectFrom('events')
        .select(['module', 'rule_id', (eb) => eb.fn.countAll<number>().as('count')])
        .where('time', '>=', from)
        .where('time', '<=', to)
        .where('rule_id', 'is not', null)
        .groupBy(['module', 'rule_id'])
        .orderBy('count', 'desc')
        .orderBy('module')
        .orderBy('rule_id')
        .limit(10)
        .execute();
      const alerts = await ctx.db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('state', '=', 'open')
        .executeTakeFirst();
      return {
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        bucketMinutes,
        computersByStatus,
        eventsOverTime: buckets.map((b) => ({
          bucket: new Date(Number(b.bucket)).toISOString(),
          module: b.module,
          count: Number(b.count),
        })),
        topRules: topRules.map((r) => ({ module: r.module, ruleId: r.rule_id ?? '', count: Number(r.count) })),
        openAlerts: Number(alerts?.count ?? 0),
      };
    });
  }
  return { summary };
}

export type DashboardService = ReturnType<typeof dashboardService>;
