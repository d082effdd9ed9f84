/**
 * Our rules on the shape of traffic rather than its content: the HTTP request limits (the rule
 * of the documented false-positive workflow; its limits are overridden per assignment), HTTP
 * protocol violations the traffic engine's parser reports, header injection and smuggled
 * requests carried in parameters, and SSH brute force (new connections per source over time).
 */
import type { IpsRule } from '../engine/index.js';
import { inPlaces, pcre, SSH_SERVER, WEB_PORTS, WEB_SERVER, WEB_SERVER_PACKAGES } from './rule-builders.js';

/** The id of the HTTP limits rule, named in the README's false-positive walkthrough. */
export const HTTP_LIMITS_RULE_ID = 'bw-1000100';

const web = (partial: Omit<IpsRule, 'format' | 'applicationType' | 'recommendWhen'>): IpsRule => ({
  format: 'bulwark',
  applicationType: WEB_SERVER,
  recommendWhen: { listeningPorts: WEB_PORTS, packages: WEB_SERVER_PACKAGES },
  ...partial,
});

export const PROTOCOL_RULES: readonly IpsRule[] = [
  web({
    id: HTTP_LIMITS_RULE_ID,
    name: 'HTTP URI length and depth restriction',
    description:
      'Resets requests whose target is longer than maxUriLength characters, whose path has more than maxPathDepth segments, or that carry more than maxParameters query parameters or a parameter longer than maxParameterLength. Overlong targets carry buffer overflows and resource exhaustion; when an application legitimately sends long URIs, raise the limits for that computer or policy through rule overrides (parameters) instead of unassigning the rule.',
    severity: 'medium',
    detection: {
      kind: 'http-limits',
      parameters: { maxUriLength: 2048, maxPathDepth: 32, maxParameters: 128, maxParameterLength: 1024 },
    },
  }),
  web({
    id: 'bw-1000110',
    name: 'HTTP protocol violation: malformed request line or headers',
    description:
      'The request line or header block breaks HTTP/1.x syntax: a method with characters a method cannot have, a bad version, a header line without a name or a colon, a header name with illegal characters, an HTTP/1.1 request without Host, or a target with invalid percent-encoding or a NUL byte. Servers and proxies disagree on such requests, which is how filters are bypassed.',
    severity: 'medium',
    detection: {
      kind: 'http-anomaly',
      anomalies: [
        'bad-method',
        'bad-request-line',
        'bad-version',
        'header-without-name',
        'header-without-colon',
        'bad-header-name',
        'missing-host',
        'uri-bad-encoding',
        'uri-nul',
      ],
    },
  }),
  web({
    id: 'bw-1000111',
    name: 'HTTP protocol violation: invalid chunked encoding',
    description:
      'A chunked request body has a chunk size that is not hexadecimal, a missing chunk terminator, or a Transfer-Encoding the server does not know: the body the server reads differs from the one a filter inspected.',
    severity: 'medium',
    detection: { kind: 'http-anomaly', anomalies: ['invalid-chunk-size', 'unknown-transfer-encoding'] },
  }),
  web({
    id: 'bw-1000112',
    name: 'HTTP protocol violation: oversize header block',
    description:
      'The request header block is longer than the traffic engine accepts (its maxHttpHeaderBytes limit): header overflows and attempts to push an attack past what an inspector reads.',
    severity: 'medium',
    detection: { kind: 'http-anomaly', anomalies: ['header-too-long'] },
  }),
  web({
    id: 'bw-1000113',
    name: 'HTTP request smuggling: conflicting body length',
    description:
      'The request has both Content-Length and Transfer-Encoding, several different Content-Length values, or one that is not a number: a front end and a back end can then split the stream into different requests (CL.TE / TE.CL smuggling).',
    severity: 'high',
    detection: {
      kind: 'http-anomaly',
      anomalies: [
        'content-length-and-transfer-encoding',
        'multiple-content-length',
        'bad-content-length',
        'obsolete-line-folding',
      ],
    },
  }),
  web({
    id: 'bw-1000115',
    name: 'HTTP protocol violation: body or range where none belongs',
    description:
      'A GET or HEAD request announces a body (Content-Length above zero or Transfer-Encoding), a POST announces none, or a Range header asks for many ranges at once: request smuggling and cache poisoning use the first two, the last exhausts servers (Apache Range DoS, CVE-2011-3192).',
    severity: 'medium',
    cve: ['CVE-2011-3192'],
    cvss: 7.8,
    detection: {
      kind: 'suricata-any',
      rules: [
        `alert http any any -> any any (msg:"Body on GET or HEAD"; flow:to_server; http.method; ${pcre('^(?:GET|HEAD)\\z', '')} http.header; ${pcre('(?:^|\\n)(?:content-length:\\s*0*[1-9]|transfer-encoding:)')} sid:9111500; rev:1;)`,
        `alert http any any -> any any (msg:"POST without a length"; flow:to_server; http.method; content:"POST"; bsize:4; http.header; content:!"content-length:"; nocase; content:!"transfer-encoding:"; nocase; sid:9111501; rev:1;)`,
        `alert http any any -> any any (msg:"Many ranges"; flow:to_server; http.header; ${pcre('(?:^|\\n)(?:request-)?range:\\s*bytes=[^,\\r\\n]*,[^,\\r\\n]*,[^,\\r\\n]*,[^,\\r\\n]*,[^,\\r\\n]*,')} sid:9111502; rev:1;)`,
      ],
    },
  }),
  web({
    id: 'bw-1000116',
    name: 'HTTP policy: backup, configuration or data file, or a restricted header',
    description:
      'The request path ends in an extension that a web server should never serve (backups such as .bak, .old, .swp; configuration, keys and databases such as .ini, .conf, .pem, .sql, .sqlite) or carries a header clients have no business sending to an application (Request-Range, Content-Range, Proxy, Lock-Token, Translate, If): leftovers and misconfigurations are what scanners look for first.',
    severity: 'low',
    detection: {
      kind: 'suricata-any',
      rules: [
        `alert http any any -> any any (msg:"Restricted extension"; flow:to_server; http.uri; ${pcre(String.raw`\.(?:bak|backup|old|orig|swp|swo|sav|tmp|temp|sql|mdb|sqlite3?|db|dump|log|ini|inc|cfg|conf|config|dist|pem|key|pfx|p12|jks|keystore|htr|htw|ida|idc|idq|printer|asa|cdx|resources|resx|vsdisco|webinfo)(?:[?;#]|\z)`)} sid:9111600; rev:1;)`,
        `alert http any any -> any any (msg:"Restricted header"; flow:to_server; http.header; ${pcre(String.raw`(?:^|\n)(?:request-range|content-range|proxy|lock-token|translate|if)\s*:`)} sid:9111601; rev:1;)`,
      ],
    },
  }),
  web({
    id: 'bw-1000114',
    name: 'HTTP header injection or smuggled request in parameters',
    description:
      'A parameter, form field or cookie carries a line break followed by a header or a status line (response splitting, header injection), the target carries a line break at all, a header carries an encoded one, or a body carries a complete request line (a request smuggled inside another).',
    severity: 'high',
    detection: {
      kind: 'suricata-any',
      rules: [
        ...inPlaces(
          9_110_000,
          'HTTP splitting',
          ['target', 'body', 'cookie'],
          [
            pcre(
              String.raw`[\r\n]\s*(?:[\w-]{1,40}\s*:\s*\S|http/\d\.\d|set-cookie|location\s*:|content-(?:type|length)\s*:)|[\r\n]\s*<(?:html|script|body|meta)`,
            ),
            pcre(
              String.raw`(?:get|post|put|head|delete|options|patch|trace|connect|propfind)\s+(?:/|https?://)\S*\s+http/\d\.\d`,
            ),
          ],
        ),
        // A line break inside the target (path, parameter names or values) has no business there.
        ...inPlaces(9_110_100, 'Line break in target', ['target'], ['content:"|0a|";', 'content:"|0d|";']),
        // Encoded line breaks in a header value: response splitting through a reflected header.
        ...inPlaces(9_110_200, 'Encoded line break in a header', ['headers'], [pcre('%0[da]')]),
      ],
    },
  }),
  {
    id: 'bw-1000900',
    format: 'bulwark',
    name: 'SSH brute force: too many connections from one source',
    description:
      'One source opens more than `count` new SSH connections within `windowSeconds` (default 10 in 60 s): password guessing. In prevent mode the connections beyond the limit are reset until the rate falls; raise the limits through rule overrides for hosts that automation connects to often.',
    severity: 'high',
    applicationType: SSH_SERVER,
    recommendWhen: { listeningPorts: [22], packages: ['openssh-server'] },
    detection: { kind: 'rate', parameters: { count: 10, windowSeconds: 60 } },
  },
];
