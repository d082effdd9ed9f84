import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PacketMeta } from './packet-parser.js';
import { probeKind, ReconDetector } from './recon-detector.js';
import { defaultSettings } from './test-fixtures.js';

const syn = (source: string, port: number, destination = '10.0.0.1'): PacketMeta => ({
  family: 'ipv4',
  protocol: 'tcp',
  source,
  destination,
  sourcePort: 40000,
  destinationPort: port,
  tcpFlags: 0x02,
  length: 60,
});

test('probe kinds are told apart by their flags', () => {
  assert.equal(probeKind(0), 'null-probe');
  assert.equal(probeKind(0x01), 'fin-probe');
  assert.equal(probeKind(0x29), 'xmas-probe');
  assert.equal(probeKind(0x03), 'syn-fin-probe');
  assert.equal(probeKind(0x02), undefined);
  assert.equal(probeKind(0x12), undefined);
  assert.equal(probeKind(0x11), undefined);
});

test('a port scan is reported once, at the threshold, with the block decision from the settings', () => {
  const d = new ReconDetector(defaultSettings({ portScanThreshold: 5, blockPortScans: true }));
  const found = [1, 2, 3, 4, 5, 6, 7].flatMap((p, i) => d.observe(syn('192.0.2.7', p), 1000 + i));
  assert.equal(found.length, 1);
  assert.equal(found[0]?.kind, 'port-scan');
  assert.equal(found[0]?.source, '192.0.2.7');
  assert.equal(found[0]?.block, true);
  assert.equal(found[0]?.count, 5);
});

test('ports spread over longer than the window are not a scan', () => {
  const d = new ReconDetector(defaultSettings({ portScanThreshold: 5, reconWindowSeconds: 10 }));
  const found = [1, 2, 3, 4, 5, 6].flatMap((p, i) => d.observe(syn('192.0.2.7', p), i * 6000));
  assert.deepEqual(found, []);
});

test('the same port many times, or many sources one port each, is not a scan', () => {
  const d = new ReconDetector(defaultSettings({ portScanThreshold: 5 }));
  for (let i = 0; i < 50; i++) assert.deepEqual(d.observe(syn('192.0.2.7', 443), i), []);
  for (let i = 0; i < 50; i++) assert.deepEqual(d.observe(syn(`192.0.2.${i + 10}`, 443), i), []);
});

test('stealth probes are reported by kind, once per window', () => {
  const d = new ReconDetector(defaultSettings({ reconWindowSeconds: 10 }));
  const xmas = { ...syn('192.0.2.8', 80), tcpFlags: 0x29 };
  assert.equal(d.observe(xmas, 0)[0]?.kind, 'xmas-probe');
  assert.deepEqual(d.observe({ ...xmas, destinationPort: 81 }, 10), []);
  assert.equal(d.observe({ ...xmas, tcpFlags: 0 }, 20)[0]?.kind, 'null-probe');
  assert.equal(d.observe(xmas, 20_000)[0]?.kind, 'xmas-probe', 'again after the window');
});

test('turned-off detections report nothing', () => {
  const d = new ReconDetector(
    defaultSettings({ detectTcpProbes: false, detectPortScans: false, detectNetworkSweeps: false }),
  );
  for (let i = 0; i < 100; i++)
    assert.deepEqual(d.observe({ ...syn('192.0.2.8', i, `10.0.0.${i}`), tcpFlags: 0 }, i), []);
});

test('ARP requests for many addresses are a sweep; gratuitous ARP and probes from 0.0.0.0 are not', () => {
  const d = new ReconDetector(defaultSettings({ sweepThreshold: 4 }));
  const arp = (source: string, destination: string, arpOperation = 1): PacketMeta => ({
    family: 'arp',
    protocol: 'arp',
    source,
    destination,
    arpOperation,
    length: 28,
  });
  for (let i = 0; i < 10; i++) assert.deepEqual(d.observe(arp('10.0.0.9', '10.0.0.9'), i), []);
  for (let i = 0; i < 10; i++) assert.deepEqual(d.observe(arp('0.0.0.0', `10.0.0.${i}`), i), []);
  for (let i = 0; i < 10; i++) assert.deepEqual(d.observe(arp('10.0.0.8', `10.0.0.${i}`, 2), i), []);
  const found = [1, 2, 3, 4].flatMap((i) => d.observe(arp('10.0.0.7', `10.0.0.${i + 20}`), i));
  assert.equal(found.length, 1);
  assert.equal(found[0]?.kind, 'network-sweep');
  assert.equal(found[0]?.source, '10.0.0.7');
});

test('memory stays bounded under a spoofed-source flood', () => {
  const d = new ReconDetector(defaultSettings());
  for (let i = 0; i < 30_000; i++) d.observe(syn(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 80), i);
  assert.ok(d.trackedSources <= 10_000);
  d.prune(10_000_000);
  assert.equal(d.trackedSources, 0);
});
