import { isRow, type Row } from './api-calls.js';
import { cellText } from './table.js';

/** `true`, `42`, `["a"]`, `{"x":1}`, `"quoted"` are JSON; anything that is not JSON is the string itself. */
export function parseSettingValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function settingValueText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
}

/**
 * How the console words where a value comes from: `Overridden` when set on the object asked
 * about, else `Inherited (value) from <policy>` (or from the module defaults).
 */
export function settingSourceText(entry: Row): string {
  if (entry.overridden === true) return 'Overridden';
  const value = cellText(settingValueText(entry.value), 40);
  const source = isRow(entry.source) ? entry.source : {};
  if (source.kind === 'policy')
    return `Inherited (${value}) from ${String(source.name ?? source.id ?? 'a parent policy')}`;
  if (source.kind === 'computer') return `Inherited (${value}) from computer ${String(source.name ?? source.id)}`;
  return `Inherited (${value}) from defaults`;
}

/** `platform.heartbeatIntervalSeconds`: a module id, a dot, a name. */
export function isSettingKey(text: string): boolean {
  return /^[a-z][a-z0-9-]*\.[A-Za-z][A-Za-z0-9_.-]*$/.test(text) && text.length <= 200;
}
