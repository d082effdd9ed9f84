/**
 * The OWASP CRS regression tests (go-ftw YAML) as raw HTTP requests: each test's stages, whether
 * it is an attack (`expect_ids`) or benign traffic (`no_expect_ids` only), and its class from
 * the folder (942 SQLi, 941 XSS, 930 LFI, 932 RCE, 944 Java, 920/921 protocol).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const CLASSES: Readonly<Record<string, string>> = {
  '942': 'SQL injection (942)',
  '941': 'XSS (941)',
  '930': 'LFI (930)',
  '932': 'RCE (932)',
  '944': 'Java (944)',
  '920': 'Protocol (920)',
  '921': 'Protocol attack (921)',
};

export interface CrsTest {
  readonly cls: string;
  readonly id: string;
  readonly attack: boolean;
  readonly requests: readonly Buffer[];
}

interface Input {
  method?: string;
  uri?: string;
  version?: string;
  headers?: Record<string, string | number>;
  data?: string | string[];
  autocomplete_headers?: boolean;
  encoded_request?: string;
  raw_request?: string;
}

/**
 * The bytes go-ftw sends for an input: the request line, the headers as written, and with
 * autocomplete (its default) a Content-Length and a form Content-Type when a body has none,
 * and Connection: close.
 */
export function rawRequest(input: Input): Buffer {
  if (input.encoded_request !== undefined) return Buffer.from(input.encoded_request, 'base64');
  if (input.raw_request !== undefined) return Buffer.from(input.raw_request, 'latin1');
  const data = Array.isArray(input.data) ? input.data.join('') : input.data;
  const headers = Object.entries(input.headers ?? {}).map(([k, v]) => [k, String(v)] as [string, string]);
  const has = (name: string) => headers.some(([k]) => k.toLowerCase() === name);
  if (input.autocomplete_headers !== false) {
    if (data !== undefined && data !== '' && !has('content-type'))
      headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
    if (data !== undefined && !has('content-length'))
      headers.push(['Content-Length', String(Buffer.byteLength(data, 'latin1'))]);
    if (!has('connection')) headers.push(['Connection', 'close']);
  }
  const head = `${input.method ?? 'GET'} ${input.uri ?? '/'} ${input.version ?? 'HTTP/1.1'}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(data ?? '', 'latin1')]);
}

export function loadCrsTests(dir: string): CrsTest[] {
  const out: CrsTest[] = [];
  for (const folder of readdirSync(dir)
    .filter((f) => f.startsWith('REQUEST-'))
    .sort()) {
    const cls = folder.slice('REQUEST-'.length, 'REQUEST-'.length + 3);
    if (CLASSES[cls] === undefined) continue;
    for (const file of readdirSync(join(dir, folder))
      .filter((f) => f.endsWith('.yaml'))
      .sort()) {
      const doc = parse(readFileSync(join(dir, folder, file), 'utf8')) as {
        tests?: {
          test_id?: number;
          stages?: { input?: Input; output?: { log?: { expect_ids?: number[]; no_expect_ids?: number[] } } }[];
        }[];
      };
      for (const t of doc?.tests ?? []) {
        const stages = t.stages ?? [];
        const expects = stages.some((s) => (s.output?.log?.expect_ids ?? []).length > 0);
        const benign = !expects && stages.some((s) => (s.output?.log?.no_expect_ids ?? []).length > 0);
        if (!expects && !benign) continue;
        out.push({
          cls,
          id: `${file.replace('.yaml', '')}-${t.test_id ?? '?'}`,
          attack: expects,
          requests: stages.map((s) => rawRequest(s.input ?? {})),
        });
      }
    }
  }
  return out;
}
