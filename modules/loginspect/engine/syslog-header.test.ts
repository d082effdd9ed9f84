import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { preDecode } from './syslog-header.js';

test('BSD syslog: timestamp, hostname, program and pid', () => {
  const h = preDecode('Feb  9 11:44:56 someserver sshd[1234]: Failed password for root');
  assert.equal(h.timestamp, 'Feb  9 11:44:56');
  assert.equal(h.hostname, 'someserver');
  assert.equal(h.programName, 'sshd');
  assert.equal(h.log, 'Failed password for root');
});

test('program without pid, program with a slash, and a colon without a space', () => {
  assert.equal(preDecode('Dec 19 17:20:08 host kernel: usb 1-1: new device').programName, 'kernel');
  assert.equal(preDecode('Apr 20 04:35:03 db-01 postfix/smtpd[13036]: NOQUEUE').programName, 'postfix/smtpd');
  const tight = preDecode('Dec 19 17:20:08 User test_noalert[12345]:Test noalert=1');
  assert.equal(tight.programName, 'test_noalert');
  assert.equal(tight.log, 'Test noalert=1');
});

test('ISO 8601, year and fractional forms', () => {
  assert.equal(preDecode('2009-05-22T09:36:46.214994-07:00 myhost app[1]: hello').programName, 'app');
  assert.equal(preDecode('2015-04-16T21:51:02.805Z myhost app: hi').log, 'hi');
  assert.equal(preDecode('Dec 29 2015 10:00:01 myhost app: hi').hostname, 'myhost');
});

test('no header: the whole line is the log; no program when none is announced', () => {
  const json = preDecode('{"integration":"github"}');
  assert.equal(json.hostname, undefined);
  assert.equal(json.log, '{"integration":"github"}');
  const cisco = preDecode('Sep  1 10:25:29 10.10.10.1 %IPS-4-SIGNATURE: Sig:3051');
  assert.equal(cisco.hostname, '10.10.10.1');
  assert.equal(cisco.programName, undefined);
  assert.equal(cisco.log, '%IPS-4-SIGNATURE: Sig:3051');
});

test('header variants OSSEC accepts: no host name, "word:" as the program, pid without a colon, Apache error-log time', () => {
  // dnsmasq writes no host name: no host, no program, the message starts after the timestamp.
  const noHost = preDecode('Mar  2 08:00:01 dnsmasq[311]: query[A] example.org from 10.0.0.9');
  assert.equal(noHost.hostname, undefined);
  assert.equal(noHost.programName, undefined);
  assert.equal(noHost.log, 'dnsmasq[311]: query[A] example.org from 10.0.0.9');
  // dovecot's "Info:" where the host name would be is the program name (Solaris-style).
  const info = preDecode('Mar  2 08:00:01 Info: imap-login: Login: user=<ann>');
  assert.equal(info.hostname, undefined);
  assert.equal(info.programName, 'Info');
  assert.equal(info.log, 'imap-login: Login: user=<ann>');
  // proftpd ends its tag with "] " and no colon.
  const proftpd = preDecode(
    'Mar  2 08:00:01 ftp1 proftpd[4242] ftp1.example.org (h[192.0.2.4]): USER ann: Login successful.',
  );
  assert.equal(proftpd.hostname, 'ftp1');
  assert.equal(proftpd.programName, 'proftpd');
  assert.equal(proftpd.log, 'ftp1.example.org (h[192.0.2.4]): USER ann: Login successful.');
  // A pid must be digits, as OSSEC reads it.
  assert.equal(preDecode('Mar  2 08:00:01 h app[x]: hi').programName, undefined);
  const apache = preDecode('[Mon Mar 02 08:00:01 2026] [error] [client 192.0.2.7] File does not exist');
  assert.equal(apache.log, '[error] [client 192.0.2.7] File does not exist');
  assert.equal(apache.programName, undefined);
});

test('Solaris message ids are removed from the log', () => {
  assert.equal(preDecode('Jan  1 00:00:00 sol sshd[1]: [ID 800047 auth.info] Accepted').log, 'Accepted');
});

test('property: never throws; the log is a suffix of the line; parts appear in order', () => {
  const syslogish = fc
    .tuple(
      fc.constantFrom('Jan', 'Feb', 'Dec', 'xyz'),
      fc.integer({ min: 1, max: 31 }),
      fc.string({ unit: fc.constantFrom('a', 'b', '1', '.', '-', ' ', ':', '[', ']', '%', '/'), maxLength: 12 }),
      fc.string({ maxLength: 30 }),
    )
    .map(([m, d, host, rest]) => `${m} ${String(d).padStart(2, ' ')} 12:00:00 ${host} ${rest}`);
  fc.assert(
    fc.property(
      fc.oneof(syslogish, fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 })),
      (line) => {
        const h = preDecode(line);
        assert.ok(line.endsWith(h.log));
        if (h.hostname !== undefined) assert.ok(line.includes(` ${h.hostname} `));
        if (h.programName !== undefined) {
          const from = h.hostname === undefined ? 0 : line.indexOf(h.hostname) + h.hostname.length;
          const at = line.indexOf(h.programName, from);
          assert.ok(at >= 0 && at <= line.length - h.log.length);
        }
      },
    ),
    { numRuns: 3000 },
  );
});
