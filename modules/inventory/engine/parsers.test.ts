import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { InstalledPackage, ListeningPort, LocalUser, Service } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import fc from 'fast-check';
import { parseDpkgStatus } from './dpkg-status.js';
import { parseOsRelease } from './os-release.js';
import { parsePasswd } from './passwd.js';
import { parseProcNet } from './proc-net.js';
import { parseRpmQuery } from './rpm-query.js';
import { mergeServices, parseSystemctlUnitFiles, parseSystemctlUnits } from './systemctl.js';

/** Text that looks a little like each format and a lot like garbage. */
const garbage = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc
    .array(
      fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.constantFrom(':', '\t', ' ', '\n', '0A', '=', '"', '●', 'Package:', 'Status: install ok installed'),
      ),
      { maxLength: 80 },
    )
    .map((parts) => parts.join('')),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

describe('parsers survive garbage and return only well-formed entries', () => {
  it('every parser, on any input', () => {
    fc.assert(
      fc.property(garbage, (text) => {
        const os = parseOsRelease(text).value;
        assert.equal(typeof os.id, 'string');
        for (const p of [...parseDpkgStatus(text).value, ...parseRpmQuery(text).value])
          assert.ok(Value.Check(InstalledPackage, p));
        for (const protocol of ['tcp', 'udp'] as const) {
          for (const family of ['ipv4', 'ipv6'] as const) {
            for (const s of parseProcNet(text, protocol, family).value) assert.ok(Value.Check(ListeningPort, s.port));
          }
        }
        for (const s of parseSystemctlUnits(text).value) assert.ok(Value.Check(Service, s));
        assert.ok(parseSystemctlUnitFiles(text).skipped >= 0);
        for (const u of parsePasswd(text).value) assert.ok(Value.Check(LocalUser, u));
      }),
      { numRuns: 400 },
    );
  });
});

describe('parseOsRelease', () => {
  it('reads quoted and unquoted values and counts bad lines', () => {
    const parsed = parseOsRelease(
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# comment\nnot a line\nBAD="unterminated\n',
    );
    assert.deepEqual(parsed.value, {
      id: 'debian',
      name: 'Debian GNU/Linux',
      version: '12',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
    });
    assert.equal(parsed.skipped, 2);
  });

  it('falls back to linux/Linux as os-release(5) says', () => {
    assert.deepEqual(parseOsRelease('').value, { id: 'linux', name: 'Linux' });
  });
});

describe('parseDpkgStatus', () => {
  const paragraph = (p: { name: string; version: string; arch: string; installed: boolean }) =>
    `Package: ${p.name}\nStatus: ${p.installed ? 'install ok installed' : 'deinstall ok config-files'}\nPriority: optional\nArchitecture: ${p.arch}\nVersion: ${p.version}\nDescription: a package\n more text\n .\n`;

  it('reports installed packages in order, whatever lines of garbage sit between paragraphs', () => {
    const pkg = fc.record({
      name: fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{0,30}$/),
      version: fc.stringMatching(/^[0-9][0-9a-z.+~:-]{0,20}$/),
      arch: fc.constantFrom('amd64', 'all', 'arm64'),
      installed: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(pkg, fc.stringMatching(/^[^\s:][^:\n\r]{0,20}$/)), { maxLength: 20 }),
        (entries) => {
          const text = entries.map(([p, junk]) => `${paragraph(p)}${junk}\n`).join('\n');
          const parsed = parseDpkgStatus(text);
          assert.deepEqual(
            parsed.value,
            entries
              .filter(([p]) => p.installed)
              .map(([p]) => ({ name: p.name, version: p.version, architecture: p.arch, manager: 'dpkg' })),
          );
          assert.equal(parsed.skipped, entries.length);
        },
      ),
    );
  });

  it('reads this host’s own dpkg database when there is one', (t) => {
    if (!existsSync('/var/lib/dpkg/status')) return t.skip('no /var/lib/dpkg/status on this host');
    const parsed = parseDpkgStatus(readFileSync('/var/lib/dpkg/status', 'utf8'));
    assert.ok(parsed.value.length > 10);
    assert.equal(parsed.skipped, 0);
    assert.ok(parsed.value.some((p) => p.name === 'dpkg'));
  });
});

describe('parseRpmQuery', () => {
  it('joins epoch, version and release and skips malformed lines', () => {
    const parsed = parseRpmQuery(
      'bash\t(none)\t5.1.8\t6.el9\tx86_64\nopenssl\t1\t3.0.7\t27.el9\tx86_64\ngpg-pubkey\t(none)\td4082792\t5b32db75\t(none)\nbroken line\n',
    );
    assert.deepEqual(parsed.value, [
      { name: 'bash', version: '5.1.8-6.el9', architecture: 'x86_64', manager: 'rpm' },
      { name: 'openssl', version: '1:3.0.7-27.el9', architecture: 'x86_64', manager: 'rpm' },
      { name: 'gpg-pubkey', version: 'd4082792-5b32db75', manager: 'rpm' },
    ]);
    assert.equal(parsed.skipped, 1);
  });
});

describe('parseProcNet', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  it('reads listening TCP sockets in both families, in kernel byte order', () => {
    const tcp = `${header}   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 24587 1 0000000000000000 100 0 0 10 0
   1: 0F02000A:0016 0202000A:C350 01 00000000:00000000 02:000A7E1F 00000000     0        0 31337 4 0000000000000000 20 4 30 10 -1
`;
    assert.deepEqual(parseProcNet(tcp, 'tcp', 'ipv4').value, [
      { port: { protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 3306 }, inode: 24587 },
    ]);
    const tcp6 = `${header}   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 100 0 0 10 0
   3: B80D0120000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1004 1 0000000000000000 100 0 0 10 0
`;
    assert.deepEqual(
      parseProcNet(tcp6, 'tcp', 'ipv6').value.map((s) => `${s.port.address} ${s.port.port}`),
      ['::1 22', ':: 80', '::ffff:127.0.0.1 8080', '2001:db8::1 443'],
    );
  });

  it('reads bound, unconnected UDP sockets only', () => {
    const udp = `${header}  10: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 555 2 0000000000000000 0
  11: 0100007F:A000 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 556 2 0000000000000000 0
`;
    assert.deepEqual(parseProcNet(udp, 'udp', 'ipv4').value, [
      { port: { protocol: 'udp', family: 'ipv4', address: '0.0.0.0', port: 68 }, inode: 555 },
    ]);
  });

  it('finds every generated listening socket and counts the broken lines', () => {
    const socket = fc.record({
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
      port: fc.integer({ min: 0, max: 65535 }),
      inode: fc.integer({ min: 1, max: 2 ** 31 }),
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(socket, fc.boolean()), { maxLength: 30 }), (rows) => {
        const hex = (b: number[]) =>
          [...b]
            .reverse()
            .map((x) => x.toString(16).padStart(2, '0').toUpperCase())
            .join('');
        const text =
          header +
          rows
            .map(([s, broken], i) =>
              broken
                ? `${i}: zz`
                : `${i}: ${hex(s.bytes)}:${s.port.toString(16).padStart(4, '0').toUpperCase()} 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 ${s.inode} 1`,
            )
            .join('\n');
        const parsed = parseProcNet(text, 'tcp', 'ipv4');
        const expected = rows
          .filter(([, broken]) => !broken)
          .map(([s]) => ({ address: s.bytes.join('.'), port: s.port, inode: s.inode }));
        assert.deepEqual(
          parsed.value.map((p) => ({ address: p.port.address, port: p.port.port, inode: p.inode })),
          expected,
        );
        assert.equal(parsed.skipped, rows.length - expected.length);
      }),
    );
  });
});

describe('systemctl output', () => {
  it('reads units, unit files and merges them', () => {
    const units = parseSystemctlUnits(
      'ssh.service                 loaded    active   running SSH server\n● ghost.service  not-found inactive dead    ghost.service\ncron.service loaded active running Regular background program processing daemon\nnonsense\n',
    );
    assert.equal(units.skipped, 1);
    const files = parseSystemctlUnitFiles(
      'ssh.service enabled enabled\ncron.service enabled enabled\nrsync.service disabled enabled\ngetty@.service enabled enabled\n',
    );
    assert.deepEqual(mergeServices(units.value, files.value), [
      { name: 'ssh.service', loadState: 'loaded', activeState: 'active', subState: 'running', enabled: 'enabled' },
      { name: 'ghost.service', loadState: 'not-found', activeState: 'inactive', subState: 'dead' },
      { name: 'cron.service', loadState: 'loaded', activeState: 'active', subState: 'running', enabled: 'enabled' },
      { name: 'rsync.service', activeState: 'inactive', enabled: 'disabled' },
    ]);
  });
});

describe('parsePasswd', () => {
  it('round-trips generated users and skips malformed lines', () => {
    const user = fc.record({
      name: fc.stringMatching(/^[a-z_][a-z0-9_-]{0,15}$/),
      uid: fc.integer({ min: 0, max: 2 ** 31 }),
      gid: fc.integer({ min: 0, max: 2 ** 31 }),
      home: fc.stringMatching(/^\/[a-z/]{0,20}$/),
      shell: fc.constantFrom('/bin/bash', '/usr/sbin/nologin', ''),
    });
    fc.assert(
      fc.property(fc.array(user, { maxLength: 20 }), (users) => {
        const text = `${users.map((u) => `${u.name}:x:${u.uid}:${u.gid}:Gecos, Field:${u.home}:${u.shell}`).join('\n')}\nbroken:line\n`;
        const parsed = parsePasswd(text);
        assert.deepEqual(
          parsed.value,
          users.map((u) => ({ ...u })),
        );
        assert.equal(parsed.skipped, 1);
      }),
    );
  });
});
