/**
 * The case files of the Wazuh ruleset test suite (testing/tests/*.ini), read as Python's
 * RawConfigParser reads them for runtests.py: keys are lower-cased, values trimmed, and a key
 * repeated within a section collects its values in order (a sequence fed line by line).
 */
export interface IniCase {
  readonly section: string;
  /** e.g. "log 1 pass" */
  readonly key: string;
  /** Expected outcome holds ("pass") or must not hold ("fail"). */
  readonly negate: boolean;
  readonly lines: readonly string[];
  readonly rule: string;
  readonly alert: string;
  readonly decoder: string;
  readonly line: number;
}

export function parseIniCases(content: string): IniCase[] {
  const cases: IniCase[] = [];
  let section: string | undefined;
  let values = new Map<string, { values: string[]; line: number }>();
  let lastKey: string | undefined;
  const flush = (): void => {
    if (section === undefined) return;
    const get = (k: string): string => values.get(k)?.values.at(-1) ?? '';
    for (const [key, v] of values) {
      if (!/^log \S+ (pass|fail)$/.test(key)) continue;
      cases.push({
        section,
        key,
        negate: key.endsWith('fail'),
        lines: v.values,
        rule: get('rule'),
        alert: get('alert'),
        decoder: get('decoder'),
        line: v.line,
      });
    }
  };
  const rows = content.split(/\r?\n/);
  rows.forEach((raw, index) => {
    if (/^\s*[;#]/.test(raw) || raw.trim() === '') {
      lastKey = undefined;
      return;
    }
    const header = /^\[(.*)\]\s*$/.exec(raw);
    if (header) {
      flush();
      section = header[1] as string;
      values = new Map();
      lastKey = undefined;
      return;
    }
    if (/^\s/.test(raw) && lastKey !== undefined) {
      // A continuation line extends the previous value.
      const v = values.get(lastKey);
      if (v) v.values[v.values.length - 1] += `\n${raw.trim()}`;
      return;
    }
    const eq = raw.search(/[=:]/);
    if (eq === -1) return;
    const key = raw.slice(0, eq).trim().toLowerCase();
    const value = raw.slice(eq + 1).trim();
    const existing = values.get(key);
    if (existing) existing.values.push(value);
    else values.set(key, { values: [value], line: index + 1 });
    lastKey = key;
  });
  flush();
  return cases;
}
