import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type AgentModuleContext, Inventory, type PlatformSettings } from '@bulwark/protocol';
import { Value } from '@sinclair/typebox/value';
import { agentModule, createInventoryModuleFactory, readHostSources } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'bulwark-inventory-'));
after(() => rmSync(root, { recursive: true, force: true }));

const platform = {} as PlatformSettings; // the inventory module reads no platform setting

function context(reports: Inventory[]): AgentModuleContext {
  return {
    dataDir: root,
    log: { info() {}, warn() {}, error() {} },
    emit() {},
    reportInventory: (inventory) => reports.push(inventory),
    writeStateFile: (name, content) => writeFileSync(join(root, name), content),
  };
}

describe('inventory agent module', () => {
  it('collects from the sources a host has, counts the missing ones, and applies idempotently', async () => {
    mkdirSync(join(root, 'proc/net'), { recursive: true });
    writeFileSync(join(root, 'os-release'), 'ID=alpine\nNAME="Alpine Linux"\nVERSION_ID=3.19.0\n');
    writeFileSync(
      join(root, 'passwd'),
      'root:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n',
    );
    writeFileSync(
      join(root, 'proc/net/tcp'),
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0\n',
    );
    const reports: Inventory[] = [];
    const module = createInventoryModuleFactory({
      osRelease: [join(root, 'os-release')],
      dpkgStatus: join(root, 'no-dpkg'),
      passwd: join(root, 'passwd'),
      proc: join(root, 'proc'),
      run: async () => null, // no rpm, no systemctl
    }).create(context(reports));

    await module.apply({ enabled: true, configuration: { intervalSeconds: 3600 } }, platform);
    assert.equal(reports.length, 1);
    const inventory = reports[0]!;
    assert.ok(Value.Check(Inventory, inventory));
    assert.equal(inventory.os.id, 'alpine');
    assert.deepEqual(
      inventory.users.map((u) => u.name),
      ['root', 'nobody'],
    );
    assert.deepEqual(inventory.listeningPorts, [{ protocol: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 22 }]);
    assert.deepEqual(inventory.packages, []);
    const status = module.status();
    assert.equal(status.state, 'on');
    // dpkg, rpm, tcp6, udp, udp6, systemctl units and unit files
    assert.equal(status.counters?.missingSources, 7);

    await module.apply({ enabled: true, configuration: { intervalSeconds: 3600 } }, platform);
    assert.equal(reports.length, 1, 'the same configuration again changes nothing');

    await module.apply({ enabled: false, configuration: { intervalSeconds: 3600 } }, platform);
    assert.equal(module.status().state, 'off');

    await module.apply({ enabled: true, configuration: { intervalSeconds: 5 } }, platform);
    assert.equal(module.status().state, 'error');
    assert.match(module.status().reason ?? '', /intervalSeconds/);
    await module.stop();
  });

  it('names the process holding each listening socket, the lowest process id when several hold it', async () => {
    const proc = join(root, 'owners/proc');
    mkdirSync(join(proc, 'net'), { recursive: true });
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const socket = (local: string, remote: string, state: string, inode: number) =>
      `   0: ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0\n`;
    // Listening on 22 (inode 4242) and on 8080 (inode 4343); 5555 is a connection, not listed.
    writeFileSync(
      join(proc, 'net/tcp'),
      header +
        socket('00000000:0016', '00000000:0000', '0A', 4242) +
        socket('00000000:1F90', '00000000:0000', '0A', 4343) +
        socket('0100007F:1F90', '0100007F:D431', '01', 5555),
    );
    // Process 7 (sshd) and 100 (a worker that inherited the listening socket); 100 sorts before
    // 7 as text. Process 12 (web) holds 8080 and a connection.
    const addProcess = (pid: number, comm: string, fds: Record<number, string>) => {
      mkdirSync(join(proc, String(pid), 'fd'), { recursive: true });
      writeFileSync(join(proc, String(pid), 'comm'), `${comm}\n`);
      for (const [fd, target] of Object.entries(fds)) symlinkSync(target, join(proc, String(pid), 'fd', fd));
    };
    addProcess(100, 'worker', { 3: 'socket:[4242]', 4: '/var/log/worker.log' });
    addProcess(7, 'sshd', { 0: '/dev/null', 3: 'socket:[4242]' });
    addProcess(12, 'web', { 5: 'socket:[5555]', 6: 'socket:[4343]' });
    mkdirSync(join(proc, '55'), { recursive: true }); // a process whose descriptors we may not read

    const sources = await readHostSources({
      osRelease: [],
      dpkgStatus: join(root, 'no-dpkg'),
      passwd: join(root, 'no-passwd'),
      proc,
      run: async () => null,
    });
    assert.deepEqual(
      [...sources.socketOwners].sort((a, b) => a[0] - b[0]),
      [
        [4242, 'sshd'],
        [4343, 'web'],
      ],
    );
  });

  it('collects a valid inventory of this host', async () => {
    const reports: Inventory[] = [];
    const module = agentModule.create(context(reports));
    await module.apply({ enabled: true, configuration: { intervalSeconds: 3600 } }, platform);
    await module.stop();
    assert.equal(reports.length, 1);
    const inventory = reports[0]!;
    const errors = [...Value.Errors(Inventory, inventory)].slice(0, 3).map((e) => `${e.path} ${e.message}`);
    assert.deepEqual(errors, []);
    assert.ok(inventory.users.some((u) => u.uid === 0));
    assert.ok(inventory.kernel.release.length > 0);
  });
});
