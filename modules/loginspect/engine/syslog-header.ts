/**
 * Pre-decoding as OSSEC does it: recognise a syslog-style header (timestamp, hostname, program
 * name and pid) and hand the rest of the line, the "log", to the decoders and rules. A line
 * without a recognised header is passed on whole.
 */

export interface SyslogHeader {
  readonly timestamp: string | undefined;
  readonly hostname: string | undefined;
  readonly programName: string | undefined;
  /** The message after the header; the whole line when no header is recognised. */
  readonly log: string;
}

// Each form ends with the single space that separates it from the hostname.
const TIMESTAMP = new RegExp(
  [
    // Dec 29 10:00:01, Dec  9 10:00:01.123, Dec 29 2015 10:00:01
    '[A-Z][a-z]{2} [ 0-9][0-9] (?:[0-9]{4} )?[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,6})?',
    // 2007-06-14T15:48:55-04:00, 2009-05-22T09:36:46.214994-07:00, 2015-04-16T21:51:02.805Z
    '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2})?',
    // 2015-04-16 21:51:02,805 (proftpd), 2021-04-21 10:16:09.404756-0700 (macOS unified log)
    '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(?:,[0-9]{3}|\\.[0-9]{1,6}[+-][0-9]{4})',
  ]
    .map((form) => `(?:${form})`)
    .join('|')
    .replace(/^/, '^(?:')
    .concat(') '),
);

function isHostnameChar(c: number): boolean {
  // A-Z a-z 0-9 . _ @ : -
  return (
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    (c >= 48 && c <= 58) ||
    c === 46 ||
    c === 95 ||
    c === 64 ||
    c === 45
  );
}

function isProgramEnd(c: number): boolean {
  return c === 58 /* : */ || c === 91 /* [ */ || c === 32;
}
const SOLARIS_ID = /^\[ID [0-9]+ [a-z0-9]+\.[a-z]+\] /;
const MAX_PROGRAM = 256;

/** Apache's error log: "[Fri Dec 13 06:59:54 2013] " before the message (OSSEC skips 27 characters). */
const APACHE_TIME = /^\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\] /;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function preDecode(line: string): SyslogHeader {
  const stamp = TIMESTAMP.exec(line);
  if (!stamp) {
    const apache = APACHE_TIME.exec(line);
    if (apache)
      return {
        timestamp: apache[0].slice(1, -2),
        hostname: undefined,
        programName: undefined,
        log: line.slice(apache[0].length),
      };
    return { timestamp: undefined, hostname: undefined, programName: undefined, log: line };
  }
  let i = stamp[0].length;
  if (line.charCodeAt(i) === 32) i++;
  const hostStart = i;
  while (i < line.length && isHostnameChar(line.charCodeAt(i))) i++;
  const timestamp = stamp[0].slice(0, -1);
  // "word: " where the host name should be: a syslog without host name (Solaris, dovecot's
  // "Info:"), the word is the program name, as OSSEC's OS_CleanMSG reads it.
  if (i > hostStart + 1 && line.charCodeAt(i - 1) === 58 && line.charCodeAt(i) === 32) {
    return { timestamp, hostname: undefined, programName: line.slice(hostStart, i - 1), log: line.slice(i + 1) };
  }
  if (i === hostStart || line.charCodeAt(i) !== 32) {
    // No valid host name (dnsmasq writes none): the message starts after the timestamp.
    return { timestamp, hostname: undefined, programName: undefined, log: line.slice(hostStart) };
  }
  const hostname = line.slice(hostStart, i);
  i++;
  const afterHost = i;
  const programStart = i;
  const limit = Math.min(line.length, programStart + MAX_PROGRAM);
  while (i < limit && !isProgramEnd(line.charCodeAt(i))) i++;
  let programEnd = i;
  let ok = false;
  // Cisco-style "%FACILITY-SEVERITY-MNEMONIC:" tags are not program names.
  if (line.charCodeAt(programStart) === 37 /* % */) i = programStart;
  if (i > programStart && line[i] === '[' && isDigit(line.charCodeAt(i + 1))) {
    let j = i + 1;
    while (j < line.length && j < i + 64 && isDigit(line.charCodeAt(j))) j++;
    if (line[j] === ']' && line[j + 1] === ':') {
      i = j + 2;
      ok = true;
    } else if (line[j] === ']' && line[j + 1] === ' ') {
      // "proftpd[26169] host.example.net: ...": some programs end the tag without a colon.
      i = j + 1;
      ok = true;
    }
  } else if (i > programStart && line[i] === ':') {
    const next = line.charCodeAt(i + 1);
    if (Number.isNaN(next) || next === 32) {
      i++;
      ok = true;
    }
  }
  if (!ok) return { timestamp, hostname, programName: undefined, log: line.slice(afterHost) };
  if (line.charCodeAt(i) === 32) i++;
  let log = line.slice(i);
  if (log.charCodeAt(0) === 91 /* [ */) {
    const id = SOLARIS_ID.exec(log);
    if (id) log = log.slice(id[0].length);
  }
  programEnd = Math.max(programEnd, programStart);
  return { timestamp, hostname, programName: line.slice(programStart, programEnd), log };
}
