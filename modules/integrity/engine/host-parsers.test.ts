import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  parseDpkgStatus,
  parseGroup,
  parsePasswd,
  parseProcModules,
  parseProcNet,
  parseRpmList,
  parseSystemctl,
} from './host-parsers.js';

test('dpkg status: installed packages only', () => {
  const text = [
    'Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:9.2p1-2\nDescription: x\n more',
    'Package: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1',
  ].join('\n\n');
  const r = parseDpkgStatus(text);
  assert.deepEqual(r.entries, [
    {
      key: 'dpkg:openssh-server:amd64',
      attributes: { version: '1:9.2p1-2', architecture: 'amd64', status: 'install ok installed' },
    },
  ]);
});

test('proc net: listening tcp and bound udp with addresses decoded', () => {
  const tcp = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1',
    '   1: 0100007F:9C40 0100007F:1538 01 00000000:00000000 00:00000000 00000000     0        0 12346 1',
    'garbage',
  ].join('\n');
  const r = parseProcNet(tcp, 'tcp', 'ipv4');
  assert.deepEqual(r.sockets, [{ protocol: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 5432, inode: 12345 }]);
  assert.equal(r.skippedLines, 1);
  const tcp6 =
    'h\n   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 0:0 0:0 0 0 0 99 1';
  assert.equal(parseProcNet(tcp6, 'tcp', 'ipv6').sockets[0]?.address, '0:0:0:0:0:0:0:1');
});

test('passwd, group, modules, rpm and systemctl', () => {
  assert.deepEqual(parsePasswd('root:x:0:0:root:/root:/bin/bash\nbad line\n').entries, [
    { key: 'root', attributes: { uid: 0, gid: 0, home: '/root', shell: '/bin/bash' } },
  ]);
  assert.deepEqual(parseGroup('sudo:x:27:bob,alice\n').entries, [
    { key: 'sudo', attributes: { gid: 27, members: 'alice,bob' } },
  ]);
  assert.deepEqual(parseProcModules('veth 40960 0 - Live 0x0\nbridge 311296 1 br_netfilter, Live 0x0\n').entries, [
    { key: 'veth', attributes: { size: 40960, usedBy: '' } },
    { key: 'bridge', attributes: { size: 311296, usedBy: 'br_netfilter' } },
  ]);
  assert.equal(parseRpmList('bash\t0:5.1-2\tx86_64\nbroken\n').entries[0]?.key, 'rpm:bash:x86_64');
  const services = parseSystemctl(
    'ssh.service loaded active running OpenBSD Secure Shell\n',
    'ssh.service enabled enabled\ncron.service disabled enabled\n',
  );
  assert.deepEqual(
    services.entries.map((e) => [e.key, e.attributes.activeState, e.attributes.enabled]),
    [
      ['ssh.service', 'active', 'enabled'],
      ['cron.service', 'inactive', 'disabled'],
    ],
  );
});

test('every parser survives garbage', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 200 }), (a, b) => {
      for (const r of [
        parseDpkgStatus(a),
        parseRpmList(a),
        parsePasswd(a),
        parseGroup(a),
        parseProcModules(a),
        parseSystemctl(a, b),
      ])
        assert.ok(Array.isArray(r.entries) && r.skippedLines >= 0);
      assert.ok(Array.isArray(parseProcNet(a, 'udp', 'ipv6').sockets));
    }),
    { numRuns: 1000 },
  );
});
