import type { PatternSyntax } from './pattern.js';

/**
 * The pattern elements of a rule and what each reads. In OSSEC (analysisd/rules.c) every one of
 * them is read with loadmemory: a repeated element is appended to the earlier text, so
 * `<url>a|</url><url>b</url>` is the one pattern `a|b` and `<url>a</url><url>b</url>` is `ab`.
 * The `*_pcre2` forms (OSSEC 3.4+) are PCRE2 compiled with PCRE2_CASELESS; they sit beside the
 * older form, so a rule with both `<url>` and `<url_pcre2>` needs both to match.
 */
export interface PatternElement {
  /** The field read ('log' for the message after the syslog header, 'user' for dstuser/srcuser). */
  readonly field: string;
  readonly syntax: PatternSyntax;
  readonly caseless: boolean;
}

/** Fields whose OS_Match element has a `*_pcre2` form in OSSEC 3.4+ (ossec-regex-convert's list). */
const WITH_PCRE2 = ['program_name', 'hostname', 'id', 'url', 'status', 'extra_data', 'srcport', 'dstport', 'user'];
/** Fields read with OS_Match by default, with no `*_pcre2` form. */
const OSMATCH_ONLY = ['location', 'action', 'protocol', 'system_name', 'data', 'srcuser', 'dstuser'];

export const PATTERN_ELEMENTS: ReadonlyMap<string, PatternElement> = new Map<string, PatternElement>([
  ['match', { field: 'log', syntax: 'osmatch', caseless: false }],
  ['regex', { field: 'log', syntax: 'osregex', caseless: false }],
  ['match_pcre2', { field: 'log', syntax: 'pcre2', caseless: true }],
  ['pcre2', { field: 'log', syntax: 'pcre2', caseless: true }],
  ...[...WITH_PCRE2, ...OSMATCH_ONLY].map((f): [string, PatternElement] => [
    f,
    { field: f, syntax: 'osmatch', caseless: false },
  ]),
  ...WITH_PCRE2.map((f): [string, PatternElement] => [`${f}_pcre2`, { field: f, syntax: 'pcre2', caseless: true }]),
]);

/** Elements that only describe the rule. */
export const METADATA_ELEMENTS = new Set(['info', 'cve', 'mitre', 'var']);

/**
 * Elements the engine knows and cannot evaluate: a rule with one is refused whole, since loading
 * it without the condition would make it match what it was written to exclude.
 */
export const UNEVALUABLE_ELEMENTS: Readonly<Record<string, string>> = {
  compiled_rule: 'needs code compiled into OSSEC, which this engine does not have',
  check_diff: 'needs the previous output of a command, which this engine does not keep',
  if_matched_regex: 'is not supported by this engine',
  srcgeoip: 'needs a GeoIP database, which this engine does not have',
  dstgeoip: 'needs a GeoIP database, which this engine does not have',
  srcgeoip_pcre2: 'needs a GeoIP database, which this engine does not have',
  dstgeoip_pcre2: 'needs a GeoIP database, which this engine does not have',
  different_srcgeoip: 'needs a GeoIP database, which this engine does not have',
};

/** `same_*`/`different_*`/`not_same_*` suffixes and the field each compares. */
export const CORRELATION_FIELDS: Readonly<Record<string, string>> = {
  source_ip: 'srcip',
  srcip: 'srcip',
  dst_ip: 'dstip',
  dstip: 'dstip',
  src_port: 'srcport',
  srcport: 'srcport',
  dst_port: 'dstport',
  dstport: 'dstport',
  user: 'dstuser',
  srcuser: 'srcuser',
  dstuser: 'dstuser',
  location: 'location',
  id: 'id',
  protocol: 'protocol',
  action: 'action',
  url: 'url',
  system_name: 'system_name',
  status: 'status',
  data: 'data',
  extra_data: 'extra_data',
  agent: 'agent',
};
