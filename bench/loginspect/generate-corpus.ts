/**
 * Writes a corpus of realistic Linux server log lines for the log inspection bench: sshd, sudo,
 * su, PAM, cron, systemd, kernel, auditd, package managers, nginx/Apache access and error logs,
 * PostgreSQL and MySQL, with a seeded generator so every run produces the same file.
 *
 *   node --import tsx bench/loginspect/generate-corpus.ts [--lines 1000000] [--out bench/out/loginspect-corpus.log]
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const repoRoot = resolve(import.meta.dirname, '../..');

export function defaultCorpusPath(): string {
  return resolve(repoRoot, 'bench/out/loginspect-corpus.log');
}

/** Mulberry32: small, fast and good enough to vary log fields reproducibly. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const USERS = [
  'root',
  'admin',
  'deploy',
  'alice',
  'bob',
  'postgres',
  'www-data',
  'backup',
  'oracle',
  'test',
  'ubuntu',
  'git',
];
const HOSTS = ['web-01', 'web-02', 'db-01', 'bastion', 'build-7', 'mail'];
const PATHS = [
  '/',
  '/index.html',
  '/login',
  '/api/v1/items',
  '/wp-login.php',
  '/admin/',
  '/static/app.js',
  '/.env',
  '/cgi-bin/test.cgi',
  '/search?q=shoes',
];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'curl/8.4.0',
  'sqlmap/1.7',
  'Nikto/2.5.0',
  'Go-http-client/1.1',
];
const UNITS = ['nginx.service', 'postgresql.service', 'backup.service', 'docker.service', 'cron.service'];
const PACKAGES = ['openssl', 'nginx', 'curl', 'libc6', 'vim', 'python3', 'postgresql-15'];

export function generateCorpus(lines: number, seed: number, write: (line: string) => void): void {
  const r = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const int = (max: number): number => Math.floor(r() * max);
  const ip = (): string => `${pick([10, 172, 192, 203, 45, 185])}.${int(256)}.${int(256)}.${1 + int(254)}`;
  const two = (n: number): string => String(n).padStart(2, '0');
  let second = 0;
  const stamp = (): string => {
    second += int(3);
    const s = second % 86400;
    return `${pick(MONTHS)} ${String(1 + int(28)).padStart(2, ' ')} ${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
  };
  const pid = (): number => 100 + int(60000);
  const templates: (() => string)[] = [
    () =>
      `${stamp()} ${pick(HOSTS)} sshd[${pid()}]: Failed password for ${pick(USERS)} from ${ip()} port ${1024 + int(60000)} ssh2`,
    () =>
      `${stamp()} ${pick(HOSTS)} sshd[${pid()}]: Failed password for invalid user ${pick(USERS)}${int(100)} from ${ip()} port ${1024 + int(60000)} ssh2`,
    () =>
      `${stamp()} ${pick(HOSTS)} sshd[${pid()}]: Accepted publickey for ${pick(USERS)} from ${ip()} port ${1024 + int(60000)} ssh2: RSA SHA256:abcdef${int(1e6)}`,
    () =>
      `${stamp()} ${pick(HOSTS)} sshd[${pid()}]: Invalid user ${pick(USERS)}${int(100)} from ${ip()} port ${1024 + int(60000)}`,
    () =>
      `${stamp()} ${pick(HOSTS)} sshd[${pid()}]: Disconnected from authenticating user ${pick(USERS)} ${ip()} port ${1024 + int(60000)} [preauth]`,
    () =>
      `${stamp()} ${pick(HOSTS)} sshd[${pid()}]: pam_unix(sshd:session): session opened for user ${pick(USERS)}(uid=${int(2000)}) by (uid=0)`,
    () =>
      `${stamp()} ${pick(HOSTS)} sudo: ${pick(USERS)} : TTY=pts/${int(5)} ; PWD=/home/${pick(USERS)} ; USER=root ; COMMAND=/usr/bin/systemctl restart ${pick(UNITS)}`,
    () =>
      `${stamp()} ${pick(HOSTS)} sudo: pam_unix(sudo:auth): authentication failure; logname=${pick(USERS)} uid=1000 euid=0 tty=/dev/pts/1 ruser=${pick(USERS)} rhost=  user=${pick(USERS)}`,
    () => `${stamp()} ${pick(HOSTS)} su[${pid()}]: (to root) ${pick(USERS)} on pts/${int(5)}`,
    () => `${stamp()} ${pick(HOSTS)} CRON[${pid()}]: (${pick(USERS)}) CMD (/usr/local/bin/backup.sh > /dev/null 2>&1)`,
    () => `${stamp()} ${pick(HOSTS)} systemd[1]: ${pick(UNITS)}: Main process exited, code=exited, status=1/FAILURE`,
    () => `${stamp()} ${pick(HOSTS)} systemd[1]: Started Session ${int(9999)} of User ${pick(USERS)}.`,
    () =>
      `${stamp()} ${pick(HOSTS)} kernel: [${int(99999)}.${int(999999)}] Out of memory: Killed process ${pid()} (java) total-vm:${int(9e6)}kB`,
    () =>
      `${stamp()} ${pick(HOSTS)} kernel: [${int(99999)}.${int(999999)}] app[${pid()}]: segfault at ${int(1e8).toString(16)} ip 00007f${int(1e8).toString(16)} sp 00007ffd error 4 in libc.so.6`,
    () =>
      `${stamp()} ${pick(HOSTS)} kernel: [${int(99999)}.${int(999999)}] usb 1-${int(4)}: new high-speed USB device number ${int(20)} using xhci_hcd`,
    () =>
      `${stamp()} ${pick(HOSTS)} useradd[${pid()}]: new user: name=${pick(USERS)}${int(50)}, UID=${1000 + int(500)}, GID=${1000 + int(500)}, home=/home/x, shell=/bin/bash`,
    () => `${stamp()} ${pick(HOSTS)} passwd[${pid()}]: pam_unix(passwd:chauthtok): password changed for ${pick(USERS)}`,
    () =>
      `${stamp()} ${pick(HOSTS)} postfix/smtpd[${pid()}]: NOQUEUE: reject: RCPT from unknown[${ip()}]: 554 5.7.1 <spam@example.com>: Relay access denied; from=<a@b.c> to=<d@e.f> proto=ESMTP helo=<x>`,
    () => `${stamp()} ${pick(HOSTS)} dhclient[${pid()}]: DHCPACK of ${ip()} from ${ip()}`,
    () =>
      `type=USER_LOGIN msg=audit(${1700000000 + int(1e6)}.${int(999)}:${int(99999)}): pid=${pid()} uid=0 auid=${int(2000)} ses=${int(99)} msg='op=login acct="${pick(USERS)}" exe="/usr/sbin/sshd" hostname=? addr=${ip()} terminal=ssh res=failed'`,
    () =>
      `${ip()} - - [23/Nov/2026:10:${two(int(60))}:${two(int(60))} +0000] "GET ${pick(PATHS)} HTTP/1.1" ${pick([200, 200, 200, 301, 404, 403, 500])} ${int(50000)} "-" "${pick(AGENTS)}"`,
    () =>
      `${ip()} - - [23/Nov/2026:10:${two(int(60))}:${two(int(60))} +0000] "POST /login HTTP/1.1" ${pick([200, 401, 403])} ${int(5000)} "-" "${pick(AGENTS)}"`,
    () =>
      `2026/11/23 10:${two(int(60))}:${two(int(60))} [error] ${pid()}#0: *${int(99999)} open() "/var/www/html${pick(PATHS)}" failed (2: No such file or directory), client: ${ip()}, server: example.com, request: "GET ${pick(PATHS)} HTTP/1.1"`,
    () =>
      `[Mon Nov 23 10:${two(int(60))}:${two(int(60))}.${int(999999)} 2026] [core:error] [pid ${pid()}] [client ${ip()}:${int(65535)}] AH00126: Invalid URI in request GET /../../etc/passwd HTTP/1.1`,
    () =>
      `2026-11-23 10:${two(int(60))}:${two(int(60))}.${int(999)} UTC [${pid()}] FATAL:  password authentication failed for user "${pick(USERS)}"`,
    () =>
      `2026-11-23T10:${two(int(60))}:${two(int(60))}.${int(999999)}Z ${int(99)} [Warning] Access denied for user '${pick(USERS)}'@'${ip()}' (using password: YES)`,
    () =>
      `2026-11-23 10:${two(int(60))}:${two(int(60))} status installed ${pick(PACKAGES)}:amd64 1.${int(9)}.${int(20)}-1`,
    () => `${stamp()} ${pick(HOSTS)} dnf[${pid()}]: Installed: ${pick(PACKAGES)}-1.${int(9)}.${int(20)}-1.el9.x86_64`,
  ];
  for (let i = 0; i < lines; i++) write(pick(templates)());
}

if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '1000000' },
      out: { type: 'string', default: defaultCorpusPath() },
      seed: { type: 'string', default: '7' },
    },
  });
  const out = values.out as string;
  mkdirSync(dirname(out), { recursive: true });
  const stream = createWriteStream(out);
  let buffer: string[] = [];
  generateCorpus(Number(values.lines), Number(values.seed), (line) => {
    buffer.push(line);
    if (buffer.length >= 10000) {
      stream.write(`${buffer.join('\n')}\n`);
      buffer = [];
    }
  });
  if (buffer.length > 0) stream.write(`${buffer.join('\n')}\n`);
  stream.end(() => console.log(`wrote ${values.lines} lines to ${out}`));
}
