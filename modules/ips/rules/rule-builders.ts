/**
 * Helpers for writing our rules: the application types they cover and the places in an HTTP
 * request an attack can hide. Each of our detection rules is written in the Suricata language
 * (so it runs on the same engine as imported rules); one catalogue rule looks in several places.
 */
import type { IpsApplicationType } from '../engine/index.js';

export const WEB_PORTS = [80, 8000, 8008, 8080, 8888];

export const WEB_SERVER: IpsApplicationType = { name: 'Web Server Common', protocol: 'tcp', ports: WEB_PORTS };
export const SSH_SERVER: IpsApplicationType = { name: 'SSH Server', protocol: 'tcp', ports: [22] };

export const WEB_SERVER_PACKAGES = [
  'nginx',
  'apache2',
  'lighttpd',
  'tomcat9',
  'tomcat10',
  'jetty9',
  'php-fpm',
  'gunicorn',
  'uwsgi',
];

/**
 * Where a request carries attacker-chosen text, each read the way the application will read it:
 * the target (path and query) and the form body percent-decoded once ('+' as a space), cookies
 * decoded, and the headers an application commonly echoes or logs.
 */
export const REQUEST_PLACES = {
  target: 'http.uri.raw; url_decode;',
  body: 'http.request_body; url_decode;',
  cookie: 'http.cookie; url_decode;',
  userAgent: 'http.user_agent;',
  referer: 'http.referer;',
  headers: 'http.header;',
} as const;
export type RequestPlace = keyof typeof REQUEST_PLACES;

/**
 * One Suricata-language rule per place and per detection: `detections` are option strings
 * (content and pcre) that follow the buffer keyword. `sid` numbers are internal to the rule.
 */
export function inPlaces(
  sidBase: number,
  msg: string,
  places: readonly RequestPlace[],
  detections: readonly string[],
): string[] {
  const rules: string[] = [];
  let sid = sidBase;
  for (const place of places) {
    for (const detection of detections) {
      rules.push(
        `alert http any any -> any any (msg:"${msg}"; flow:to_server; ${REQUEST_PLACES[place]} ${detection} sid:${sid++}; rev:1;)`,
      );
    }
  }
  return rules;
}

/** A `pcre:` option from a pattern written plainly (`"` and `;` escaped for the rule text). */
export function pcre(pattern: string, flags = 'i'): string {
  return `pcre:"/${pattern.replace(/["";]/g, (c) => `\\${c}`)}/${flags}";`;
}

/** A `content:` option (`"`, `;`, `\` and `|` written as hex), with optional modifiers. */
export function content(text: string, modifiers = 'nocase;'): string {
  const escaped = text.replace(/["";\\|]/g, (c) => `|${c.charCodeAt(0).toString(16).padStart(2, '0')}|`);
  return `content:"${escaped}"; ${modifiers}`.trim();
}
