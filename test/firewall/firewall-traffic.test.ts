/**
 * More protocols against real traffic in the namespace lab: UDP, ICMP (nmap echo probes), TCP over
 * IPv6, `dropInvalid` and the per-source connection limit. The agent module applies the table in
 * namespace "a" through `ip netns exec nft`; clients in "b" and "c" send the traffic.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { FirewallAgent, namespaceNft } from '@bulwark/module-firewall/agent';
import { moduleStateFileWriter } from '@bulwark/platform-agent';
import { moduleConfiguration, platform, quiet } from './configurations.js';
import { A_B, A_C, createLab, eventually, type Lab, rootSkipReason } from './firewall-lab.js';

const skip = rootSkipReason(['nft', 'nc', 'ip', 'nmap']);
const A6 = 'fd77:1::1';
const B6 = 'fd77:1::2';
const bounded = { timeout: 60_000 };

/** A node program in a namespace that prints "ready" once it listens. */
async function serve(lab: Lab, ns: string, code: string): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
      if (l.trim() === 'ready') resolve();
    });
    child.on('exit', (c) => reject(new Error(`server in ${ns} exited with ${c}`)));
  });
  void lab;
  return child;
}

describe('firewall against UDP, ICMP, IPv6, invalid packets and connection floods', { skip }, () => {
  let lab: Lab;
  let agent: FirewallAgent;
  const servers: ChildProcess[] = [];

  before(async () => {
    lab = createLab();
    for (const [ns, dev, address] of [
      [lab.a, 'veth-ab', `${A6}/64`],
      [lab.b, 'veth-ba', `${B6}/64`],
    ] as const) {
      const r = lab.exec(ns, 'ip', ['addr', 'add', address, 'dev', dev, 'nodad']);
      assert.equal(r.code, 0, r.stderr);
    }
    // UDP echo on 5353 and 5354; TCP on both families at 80 and 81 that holds connections open.
    servers.push(
      await serve(
        lab,
        lab.a,
        `const d=require('node:dgram'),net=require('node:net');let n=0;const up=()=>{if(++n===4)console.log('ready')};
         for(const p of [5353,5354]){const s=d.createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(p,up)}
         for(const p of [80,81])net.createServer(c=>{c.on('error',()=>{});c.write('ok\\n')}).listen(p,'::',up)`,
      ),
    );
    agent = new FirewallAgent(
      {
        dataDir: '/nonexistent',
        log: { info() {}, warn() {}, error() {} },
        emit() {},
        reportInventory() {},
        writeStateFile: moduleStateFileWriter('/nonexistent'),
      },
      { nft: namespaceNft(lab.a), openPacketLog: () => ({ available: false, reason: 'verdicts only' }) },
    );
  });

  after(async () => {
    await agent?.stop();
    for (const s of servers) s.kill();
    lab?.destroy();
  });

  const apply = async (...args: Parameters<typeof moduleConfiguration>) => {
    await agent.apply(moduleConfiguration(...args), platform());
    assert.equal(agent.status().state, 'on', JSON.stringify(agent.status()));
  };

  /**
   * Whether a UDP datagram from `ns` to host:port gets its echo. An echo ends the wait at once, so
   * a passing port gets 10 s under any load; a dropped datagram gives nothing to wait for, so
   * `expectDrop` bounds that wait at 700 ms (a late echo could only make a drop look right).
   */
  const udpEchoes = (ns: string, host: string, port: number, expectDrop = false) => {
    const r = lab.exec(ns, process.execPath, [
      '-e',
      `const s=require('node:dgram').createSocket('udp4');s.on('message',()=>{console.log('echo');process.exit(0)});
       s.send('x',${port},'${host}');setTimeout(()=>{console.log('none');process.exit(0)},${expectDrop ? 700 : 10_000})`,
    ]);
    return r.stdout.trim() === 'echo';
  };

  /** Whether `host` answers an ICMP echo request from `ns` (nmap host discovery with echo only). */
  const answersPing = (ns: string, host: string) => {
    const six = host.includes(':') ? ['-6'] : [];
    const r = lab.exec(ns, 'nmap', [...six, '-n', '-sn', '-PE', '--send-ip', '--max-retries', '1', host], 30_000);
    assert.equal(r.code, 0, r.stderr);
    return /Host is up/.test(r.stdout);
  };

  /** nmap's verdict on one TCP port probed with `flag` (-sN: no flags at all). */
  const probe = (ns: string, host: string, flag: string, port: number) => {
    const r = lab.exec(ns, 'nmap', ['-n', '-Pn', flag, '--max-retries', '1', '-p', String(port), host], 30_000);
    assert.equal(r.code, 0, r.stderr);
    return new RegExp(`${port}/tcp\\s+(\\S+)`).exec(r.stdout)?.[1];
  };

  test('UDP: a deny drops its port only; an allow turns on implicit deny for UDP too', bounded, async () => {
    await apply([], quiet);
    assert.ok(udpEchoes(lab.b, A_B, 5353));
    assert.ok(udpEchoes(lab.b, A_B, 5354));
    await apply([{ id: 'deny-5354', action: 'deny', protocol: 'udp', destinationPorts: { ports: [5354] } }], quiet);
    assert.ok(udpEchoes(lab.b, A_B, 5353));
    assert.equal(udpEchoes(lab.b, A_B, 5354, true), false);
    await apply([{ id: 'allow-5353', action: 'allow', protocol: 'udp', destinationPorts: { ports: [5353] } }], quiet);
    assert.ok(udpEchoes(lab.c, A_C, 5353), 'the allowed port answers (its reply is an established flow)');
    assert.equal(udpEchoes(lab.c, A_C, 5354, true), false, 'implicit deny');
    assert.equal(lab.connects(lab.c, A_C, 80), false, 'implicit deny covers TCP as well');
  });

  test(
    'ICMP: echo is answered, denied by type, and allowed through implicit deny by the ICMP basics',
    bounded,
    async () => {
      await apply([], quiet);
      assert.ok(answersPing(lab.b, A_B));
      await apply([{ id: 'no-ping', action: 'deny', protocol: 'icmp', icmpTypes: ['echo-request'] }], quiet);
      assert.equal(answersPing(lab.b, A_B), false);
      assert.ok(lab.connects(lab.b, A_B, 80), 'TCP is untouched');
      await apply([{ id: 'web', action: 'allow', protocol: 'tcp', destinationPorts: { ports: [80] } }], quiet);
      assert.equal(answersPing(lab.b, A_B), false, 'implicit deny drops echo requests');
      await apply(
        [
          { id: 'web', action: 'allow', protocol: 'tcp', destinationPorts: { ports: [80] } },
          { id: 'icmp', action: 'allow', protocol: 'icmp', icmpTypes: ['echo-request'] },
          {
            id: 'icmp6',
            action: 'allow',
            protocol: 'icmpv6',
            icmpTypes: ['echo-request', 'nd-neighbor-solicit', 'nd-neighbor-advert'],
          },
        ],
        quiet,
      );
      assert.ok(answersPing(lab.b, A_B));
      assert.ok(answersPing(lab.b, A6), 'ICMPv6 echo with neighbour discovery allowed');
    },
  );

  test(
    'IPv6 TCP: a rule by IPv6 source drops that source, IPv4 from the same host still connects',
    bounded,
    async () => {
      await apply([], quiet);
      assert.ok(lab.connects(lab.b, A6, 80));
      await apply([{ id: 'deny-b6', action: 'deny', source: { addresses: ['fd77:1::/64'] } }], quiet);
      assert.equal(lab.connects(lab.b, A6, 80), false);
      assert.ok(lab.connects(lab.b, A_B, 80));
      await apply(
        [{ id: 'deny-81-v6', action: 'deny', frameType: 'ipv6', protocol: 'tcp', destinationPorts: { ports: [81] } }],
        quiet,
      );
      assert.equal(lab.connects(lab.b, A6, 81), false);
      assert.ok(lab.connects(lab.b, A_B, 81), 'an ipv6 rule leaves IPv4 alone');
      assert.ok(lab.connects(lab.b, A6, 80));
    },
  );

  test('dropInvalid: a TCP packet with no flags (invalid to conntrack) gets no answer', bounded, async () => {
    await apply([], { ...quiet, dropInvalid: false });
    assert.equal(probe(lab.b, A_B, '-sN', 82), 'closed', 'the stack answers the NULL probe with a reset');
    await apply([], { ...quiet, dropInvalid: true });
    assert.equal(probe(lab.b, A_B, '-sN', 82), 'open|filtered', 'dropped before the stack sees it');
    assert.ok(lab.connects(lab.b, A_B, 80), 'valid connections are untouched');
  });

  test('maxHalfOpenPerSource limits the connections a source has open (not only half-open ones)', bounded, async () => {
    await apply([], { ...quiet, maxHalfOpenPerSource: 3 });
    // Three established connections held open from b.
    const holder = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.b,
        process.execPath,
        '-e',
        `const net=require('node:net');let n=0;for(let i=0;i<3;i++){const c=net.connect(80,'${A_B}');c.on('data',()=>{if(++n===3)console.log('ready')});c.on('error',e=>console.log(e.message))}`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    servers.push(holder);
    await new Promise<void>((resolve) =>
      createInterface({ input: holder.stdout as NodeJS.ReadableStream }).on('line', (l) => {
        if (l.trim() === 'ready') resolve();
      }),
    );
    assert.equal(lab.connects(lab.b, A_B, 81), false, 'a fourth connection from b is refused');
    assert.ok(lab.connects(lab.c, A_C, 81), 'another source is not limited');
    holder.kill();
    // The kernel forgets the closed connections when their close handshakes are done: wait for that.
    await eventually('b connecting again once it closed its connections', () => lab.connects(lab.b, A_B, 81));
  });
});
