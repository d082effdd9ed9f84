import type { NewEvent, Severity } from '@bulwark/protocol';
import type { LogInspectionEngine, Verdict } from '../engine/index.js';

export function severityOf(level: number): Severity {
  if (level >= 13) return 'critical';
  if (level >= 10) return 'high';
  if (level >= 7) return 'medium';
  if (level >= 4) return 'low';
  return 'info';
}

/** Where a line came from, beyond its location. */
export interface LineOrigin {
  readonly source: 'file' | 'journald' | 'command';
  /** The line was cut at the line length cap. */
  readonly truncated?: boolean;
  /** The systemd unit (journal). */
  readonly unit?: string;
}

const MAX_RAW = 8192;

/**
 * new Date(ms).toISOString() with the last answer kept: the lines of one poll share their time,
 * and formatting it anew for each event cost about 2% of the agent's CPU on an attack-heavy log.
 */
export class IsoTimes {
  #ms = Number.NaN;
  #iso = '';

  of(ms: number): string {
    if (ms !== this.#ms) {
      this.#iso = new Date(ms).toISOString();
      this.#ms = ms;
    }
    return this.#iso;
  }
}

/**
 * The `rule-match` event of one alert. Detail names are the ones the forwarding mapping lifts
 * into CEF/LEEF (`fullLog` → rawEvent, `ruleDescription` → ruleName, `programName` → sproc,
 * `location`, decoded `fields.srcip` …); keep docs/forwarding.md in step.
 */
export function ruleMatchEvent(
  engine: LogInspectionEngine,
  verdict: Verdict,
  origin: LineOrigin,
  times: IsoTimes = new IsoTimes(),
): NewEvent {
  const rule = verdict.rule;
  if (!rule) throw new Error('ruleMatchEvent needs a verdict with a rule');
  const description = engine.describe(verdict).slice(0, 2048);
  const fields: Record<string, string> = {};
  for (const [k, val] of verdict.event.fields) if (k !== 'password') fields[k] = val.slice(0, 512);
  const details: Record<string, unknown> = {
    level: rule.level,
    groups: rule.groups,
    ruleDescription: description,
    decoder: verdict.decoder,
    location: verdict.event.location,
    source: origin.source,
    fields,
    fullLog: verdict.event.fullLog.slice(0, MAX_RAW),
  };
  if (verdict.event.programName !== undefined) details.programName = verdict.event.programName.slice(0, 256);
  if (verdict.event.hostname !== undefined) details.hostname = verdict.event.hostname.slice(0, 256);
  if (origin.unit !== undefined) details.unit = origin.unit.slice(0, 256);
  if (origin.truncated || verdict.event.fullLog.length > MAX_RAW) details.truncated = true;
  return {
    module: 'loginspect',
    type: 'rule-match',
    severity: severityOf(rule.level),
    ruleId: String(rule.id),
    summary: description,
    details,
    time: times.of(verdict.event.time),
  };
}
