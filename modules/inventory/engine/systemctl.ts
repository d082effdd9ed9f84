import type { Service } from '@bulwark/protocol';
import { clip, lines, type Parsed } from './parsed.js';

/** What the agent runs; the parsers below read exactly this output. */
export const SYSTEMCTL_LIST_UNITS = ['list-units', '--type=service', '--all', '--plain', '--no-legend', '--no-pager'];
export const SYSTEMCTL_LIST_UNIT_FILES = ['list-unit-files', '--type=service', '--plain', '--no-legend', '--no-pager'];

const UNIT_NAME = /^[A-Za-z0-9:_.\\@-]+\.service$/;
const WORD = /^[a-z-]+$/;

/** `systemctl list-units ...`: UNIT LOAD ACTIVE SUB DESCRIPTION; a leading ● marks units not found. */
export function parseSystemctlUnits(text: string): Parsed<Service[]> {
  const services: Service[] = [];
  let skipped = 0;
  for (const line of lines(text)) {
    if (line.trim() === '') continue;
    const fields = line
      .trim()
      .replace(/^[●*]\s*/, '')
      .split(/\s+/);
    const [name, load, active, sub] = fields;
    if (
      !name ||
      !UNIT_NAME.test(name) ||
      !load ||
      !WORD.test(load) ||
      !active ||
      !WORD.test(active) ||
      !sub ||
      !WORD.test(sub)
    ) {
      skipped++;
      continue;
    }
    services.push({
      name: clip(name, 256),
      loadState: clip(load, 64),
      activeState: clip(active, 64),
      subState: clip(sub, 64),
    });
  }
  return { value: services, skipped };
}

/** `systemctl list-unit-files ...`: UNIT STATE [PRESET]; gives whether each service is enabled. */
export function parseSystemctlUnitFiles(text: string): Parsed<Map<string, string>> {
  const states = new Map<string, string>();
  let skipped = 0;
  for (const line of lines(text)) {
    if (line.trim() === '') continue;
    const [name, state] = line.trim().split(/\s+/);
    if (!name || !UNIT_NAME.test(name) || !state || !WORD.test(state)) {
      skipped++;
      continue;
    }
    states.set(name, clip(state, 64));
  }
  return { value: states, skipped };
}

/**
 * Services as the inventory reports them: every loaded unit with its enablement, plus unit files
 * not loaded right now (installed but inactive services do not appear in list-units).
 */
export function mergeServices(units: readonly Service[], unitFiles: ReadonlyMap<string, string>): Service[] {
  const seen = new Set<string>();
  const merged: Service[] = [];
  for (const unit of units) {
    if (seen.has(unit.name)) continue;
    seen.add(unit.name);
    const enabled = unitFiles.get(unit.name);
    merged.push(enabled ? { ...unit, enabled } : unit);
  }
  for (const [name, enabled] of unitFiles) {
    if (seen.has(name) || name.endsWith('@.service')) continue;
    seen.add(name);
    merged.push({ name, activeState: 'inactive', enabled });
  }
  return merged;
}
