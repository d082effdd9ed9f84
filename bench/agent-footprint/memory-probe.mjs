// Preloaded into a process under measurement (`node --expose-gc --import <this file> …`): on
// SIGUSR2 it writes the process's memory — process.memoryUsage(), V8's heap spaces, and
// /proc/self/status — before and after a full garbage collection, as one JSON line to the file
// named by BULWARK_MEMORY_PROBE_OUT. The benchmark reads it; nothing of the product uses it.
import { appendFileSync, readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.BULWARK_MEMORY_PROBE_OUT;
const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;

function sample() {
  const usage = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    rss: mb(usage.rss),
    rssAnon: Math.round(kb('RssAnon') / 102.4) / 10,
    rssFile: Math.round(kb('RssFile') / 102.4) / 10,
    heapTotal: mb(usage.heapTotal),
    heapUsed: mb(usage.heapUsed),
    external: mb(usage.external),
    arrayBuffers: mb(usage.arrayBuffers),
    threads: kb('Threads'),
    spaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_size)])),
  };
}

if (out)
  process.on('SIGUSR2', () => {
    const before = sample();
    globalThis.gc?.();
    const after = sample();
    appendFileSync(out, `${JSON.stringify({ before, after, gcExposed: typeof globalThis.gc === 'function' })}\n`);
  });
