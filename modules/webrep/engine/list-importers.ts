import { addressBytes, normaliseHost, parseTarget, type TargetPattern } from './target-pattern.js';

/**
 * Importers for the lists administrators already have. Each reads the whole text and returns
 * every entry it understood and every line it did not, with its line number: nothing is dropped
 * without a line saying so, and the caller decides whether a file with errors is taken.
 *
 * - `plain`: one entry a line (host, `*.host`, `.host`, URL, address, network); `#` starts a comment.
 * - `hosts`: the hosts-file form `0.0.0.0 ads.example.com [more names]`; the address is ignored
 *   (it is the sinkhole), the names are blocked as exact hosts; `localhost` and friends are skipped.
 * - `urls`: one URL a line (`http://host/path`, `host/path`, or a bare host for the whole site).
 * - `csv`: comma-separated values with a column mapping (`target`, optional `risk` 0-100 and
 *   `category`), by column number (1-based) or by header name.
 */
export type ListFormat = 'plain' | 'hosts' | 'urls' | 'csv';
export const LIST_FORMATS: readonly ListFormat[] = ['plain', 'hosts', 'urls', 'csv'];

export interface ImportedEntry {
  readonly line: number;
  readonly pattern: TargetPattern;
  readonly risk?: number;
  readonly category?: string;
}

export interface ImportError {
  readonly line: number;
  readonly message: string;
}

export interface ImportResult {
  readonly entries: ImportedEntry[];
  /** The first MAX_IMPORT_ERRORS errors; `errorCount` counts them all. */
  readonly errors: ImportError[];
  readonly errorCount: number;
  /** Blank and comment lines. */
  readonly skipped: number;
}

export interface CsvMapping {
  /** Column number (1-based) or header name. */
  readonly target: number | string;
  readonly risk?: number | string;
  readonly category?: number | string;
  /** The first line names the columns (implied when any column is given by name). */
  readonly header?: boolean;
}

export const MAX_IMPORT_ERRORS = 1000;
export const MAX_LINE_CHARS = 8192;
export const MAX_CATEGORY_CHARS = 64;

const HOSTS_SKIPPED = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
  '0.0.0.0',
]);

class Collector {
  readonly entries: ImportedEntry[] = [];
  readonly errors: ImportError[] = [];
  errorCount = 0;
  skipped = 0;

  error(line: number, message: string): void {
    this.errorCount++;
    if (this.errors.length < MAX_IMPORT_ERRORS) this.errors.push({ line, message });
  }

  result(): ImportResult {
    return { entries: this.entries, errors: this.errors, errorCount: this.errorCount, skipped: this.skipped };
  }
}

function lines(text: string): string[] {
  return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r?\n/);
}

function stripComment(line: string): string {
  const hash = line.search(/(^|\s)#/);
  return (hash < 0 ? line : line.slice(0, hash)).trim();
}

export function importList(text: string, format: ListFormat, mapping?: CsvMapping): ImportResult {
  switch (format) {
    case 'plain':
      return importPlain(text, false);
    case 'urls':
      return importPlain(text, true);
    case 'hosts':
      return importHosts(text);
    case 'csv':
      return importCsv(text, mapping ?? { target: 1 });
  }
}

function importPlain(text: string, urlsOnly: boolean): ImportResult {
  const out = new Collector();
  for (const [i, raw] of lines(text).entries()) {
    const line = i + 1;
    if (raw.length > MAX_LINE_CHARS) {
      out.error(line, `line longer than ${MAX_LINE_CHARS} characters`);
      continue;
    }
    const entry = stripComment(raw);
    if (entry.length === 0) {
      out.skipped++;
      continue;
    }
    const parsed = parseTarget(entry);
    if (!parsed.ok) out.error(line, parsed.error);
    else if (urlsOnly && parsed.value.kind !== 'url' && parsed.value.kind !== 'host')
      out.error(line, `"${entry.slice(0, 80)}" is not a URL`);
    else out.entries.push({ line, pattern: parsed.value });
  }
  return out.result();
}

function importHosts(text: string): ImportResult {
  const out = new Collector();
  for (const [i, raw] of lines(text).entries()) {
    const line = i + 1;
    if (raw.length > MAX_LINE_CHARS) {
      out.error(line, `line longer than ${MAX_LINE_CHARS} characters`);
      continue;
    }
    const fields = stripComment(raw)
      .split(/\s+/)
      .filter((f) => f.length > 0);
    if (fields.length === 0) {
      out.skipped++;
      continue;
    }
    if (addressBytes(fields[0]!) === undefined) {
      out.error(line, `"${fields[0]!.slice(0, 80)}" is not an address: a hosts line is "ADDRESS NAME..."`);
      continue;
    }
    if (fields.length === 1) {
      out.error(line, 'an address without a host name');
      continue;
    }
    for (const name of fields.slice(1)) {
      if (HOSTS_SKIPPED.has(name.toLowerCase())) continue;
      const host = normaliseHost(name);
      if (!host.ok) {
        out.error(line, host.error);
        continue;
      }
      out.entries.push({ line, pattern: { kind: 'host', host: host.value } });
    }
  }
  return out.result();
}

/** The fields of one CSV line (RFC 4180 quoting); an error for a quote left open. */
export function csvFields(line: string): { ok: true; fields: string[] } | { ok: false; error: string } {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote < 0) return { ok: false, error: 'a quoted field is not closed on its line' };
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      if (i < line.length && line[i] !== ',')
        return { ok: false, error: `text after a closing quote at column ${i + 1}` };
      fields.push(value);
    } else {
      const comma = line.indexOf(',', i);
      const end = comma < 0 ? line.length : comma;
      fields.push(line.slice(i, end).trim());
      i = end;
    }
    if (i >= line.length) return { ok: true, fields };
    i++; // the comma
    if (i === line.length) {
      fields.push('');
      return { ok: true, fields };
    }
  }
}

function importCsv(text: string, mapping: CsvMapping): ImportResult {
  const out = new Collector();
  const all = lines(text);
  const byName = [mapping.target, mapping.risk, mapping.category].some((c) => typeof c === 'string');
  const header = mapping.header === true || byName;
  let columns: { target: number; risk?: number; category?: number } | null = null;
  const resolve = (names: readonly string[] | null, column: number | string, what: string): number | string => {
    if (typeof column === 'number')
      return Number.isInteger(column) && column >= 1 ? column - 1 : `${what} column must be 1 or more`;
    if (names === null) return `${what} column "${column}" is named, but the file has no header line`;
    const at = names.findIndex((n) => n.toLowerCase() === column.toLowerCase());
    return at >= 0 ? at : `no column named "${column}" for the ${what} (columns: ${names.join(', ').slice(0, 200)})`;
  };
  const setColumns = (names: readonly string[] | null, line: number): boolean => {
    const target = resolve(names, mapping.target, 'target');
    const risk = mapping.risk === undefined ? undefined : resolve(names, mapping.risk, 'risk');
    const category = mapping.category === undefined ? undefined : resolve(names, mapping.category, 'category');
    for (const c of [target, risk, category]) {
      if (typeof c === 'string') {
        out.error(line, c);
        return false;
      }
    }
    columns = {
      target: target as number,
      ...(risk === undefined ? {} : { risk: risk as number }),
      ...(category === undefined ? {} : { category: category as number }),
    };
    return true;
  };
  if (!header && !setColumns(null, 1)) return out.result();
  for (let i = 0; i < all.length; i++) {
    const line = i + 1;
    const raw = all[i]!;
    if (raw.length > MAX_LINE_CHARS) {
      out.error(line, `line longer than ${MAX_LINE_CHARS} characters`);
      continue;
    }
    if (raw.trim().length === 0 || raw.trimStart().startsWith('#')) {
      out.skipped++;
      continue;
    }
    const parsed = csvFields(raw);
    if (!parsed.ok) {
      out.error(line, parsed.error);
      continue;
    }
    if (columns === null) {
      // The header line.
      if (!setColumns(parsed.fields, line)) return out.result();
      out.skipped++;
      continue;
    }
    const c: { target: number; risk?: number; category?: number } = columns;
    const target = parsed.fields[c.target];
    if (target === undefined || target.length === 0) {
      out.error(line, `no target in column ${c.target + 1}`);
      continue;
    }
    const pattern = parseTarget(target);
    if (!pattern.ok) {
      out.error(line, pattern.error);
      continue;
    }
    let risk: number | undefined;
    if (c.risk !== undefined) {
      const text = parsed.fields[c.risk] ?? '';
      risk = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
      if (!(risk >= 0 && risk <= 100)) {
        out.error(line, `risk "${text.slice(0, 20)}" is not a whole number from 0 to 100`);
        continue;
      }
    }
    let category: string | undefined;
    if (c.category !== undefined) {
      const text = (parsed.fields[c.category] ?? '').trim().toLowerCase();
      if (text.length > 0) {
        if (text.length > MAX_CATEGORY_CHARS || !/^[a-z0-9][a-z0-9 _/-]*$/.test(text)) {
          out.error(
            line,
            `category "${text.slice(0, 40)}" must be letters, digits, space, _ - / (at most ${MAX_CATEGORY_CHARS})`,
          );
          continue;
        }
        category = text;
      }
    }
    out.entries.push({
      line,
      pattern: pattern.value,
      ...(risk === undefined ? {} : { risk }),
      ...(category === undefined ? {} : { category }),
    });
  }
  return out.result();
}

/**
 * Reputation data as an update package holds it: CSV with a header line naming the columns,
 * `target`, `risk` and (optionally) `category` by default; a first line
 * `# columns: target=URL,risk=score,category=cat` maps them to a feed's own names.
 */
export function parseReputationFeed(text: string): ImportResult {
  const first = /^\uFEFF?# columns:\s*(.*)$/m.exec(text.slice(0, 1024).split(/\r?\n/)[0] ?? '');
  const mapping: { target: string; risk: string; category?: string } = {
    target: 'target',
    risk: 'risk',
    category: 'category',
  };
  if (first !== null) {
    for (const pair of first[1]!.split(',')) {
      const [key, name] = pair.split('=').map((s) => s.trim());
      if ((key === 'target' || key === 'risk' || key === 'category') && name) mapping[key] = name;
    }
  }
  const headerLine = lines(text).find((l) => l.trim().length > 0 && !l.trimStart().startsWith('#')) ?? '';
  const header = csvFields(headerLine);
  const hasCategory =
    header.ok && header.fields.some((f) => f.toLowerCase() === (mapping.category ?? '').toLowerCase());
  return importCsv(text, {
    target: mapping.target,
    risk: mapping.risk,
    ...(hasCategory && mapping.category !== undefined ? { category: mapping.category } : {}),
    header: true,
  });
}
