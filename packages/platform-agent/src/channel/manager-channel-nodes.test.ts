import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManagerChannel } from './manager-channel.js';

const credentials = (clusterManagerUrls?: string[]) => ({
  managerUrl: 'https://m1.example:4120',
  alternateManagerUrls: ['https://lb.example:4120'],
  ...(clusterManagerUrls ? { clusterManagerUrls } : {}),
  keyPem: 'unused',
  certificatePem: 'unused',
  caPem: 'unused',
});

test('the cluster list is added after the activation addresses, which stay first and are never dropped', () => {
  const channel = new ManagerChannel(credentials());
  assert.equal(channel.learnClusterNodes(['https://m1.example:4120/', 'https://m2.example:4120']), true);
  assert.deepEqual(channel.managerUrls, [
    'https://m1.example:4120',
    'https://lb.example:4120',
    'https://m2.example:4120',
  ]);
  assert.deepEqual(channel.clusterManagerUrls, ['https://m1.example:4120', 'https://m2.example:4120']);
  // The same list again changes nothing; a new one replaces it whole (m2 left, m3 joined).
  assert.equal(channel.learnClusterNodes(['https://m1.example:4120', 'https://m2.example:4120']), false);
  assert.equal(channel.learnClusterNodes(['https://m3.example:4120', 'not a url']), true);
  assert.deepEqual(channel.managerUrls, [
    'https://m1.example:4120',
    'https://lb.example:4120',
    'https://m3.example:4120',
  ]);
  channel.close();
});

test('a list kept from an earlier run is used from the start', () => {
  const channel = new ManagerChannel(credentials(['https://m2.example:4120']));
  assert.deepEqual(channel.managerUrls, [
    'https://m1.example:4120',
    'https://lb.example:4120',
    'https://m2.example:4120',
  ]);
  assert.equal(channel.currentManagerUrl, 'https://m1.example:4120');
  channel.close();
});
