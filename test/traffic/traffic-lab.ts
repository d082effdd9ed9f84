/**
 * The traffic lab, shared by the traffic engine's system tests and the traffic/IPS benches: a
 * server and a client namespace joined by veth (test/kernel/netns-lab.ts), an HTTP server in the
 * server namespace (http-server.mjs: deterministic downloads, hashed uploads), an engine worker
 * process bound to the queue inside the server namespace, and curl from the client.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab, type LineProcess, spawnInNamespace } from '../kernel/netns-lab.js';
import { nfqueueSkipReason } from '../kernel/nfqueue-skip.js';

export type { Lab, LineProcess };
export { createLab, spawnInNamespace };

/** Why the traffic system tests cannot run here (root, addon, tools, NFQUEUE steering), or undefined. */
export function trafficSkipReason(extraTools: readonly string[] = ['curl']): string | undefined {
  const base = nfqueueSkipReason();
  if (base) return base;
  for (const tool of extraTools) {
    if (spawnSync('/bin/sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status !== 0) {
      if (process.env.CI) throw new Error(`${tool} must be installed in CI`);
      return `needs ${tool} on the PATH`;
    }
  }
  return undefined;
}

/** Starts http-server.mjs in the server namespace and waits until it listens (`logRequests`: one line per request). */
export async function startHttpServer(
  lab: Lab,
  port: number,
  options: { readonly logRequests?: boolean } = {},
): Promise<LineProcess> {
  const server = spawnInNamespace(lab.server, [
    process.execPath,
    'test/traffic/http-server.mjs',
    lab.serverAddress,
    String(port),
    ...(options.logRequests ? ['--log'] : []),
  ]);
  await server.waitFor((l) => 'listening' in l);
  return server;
}

/** Starts engine-worker.ts in the server namespace; throws with the reason when the queue does not open. */
export async function startEngineWorker(lab: Lab, env: Record<string, string>): Promise<LineProcess> {
  const worker = spawnInNamespace(
    lab.server,
    [process.execPath, '--import', 'tsx', 'test/traffic/engine-worker.ts'],
    env,
  );
  const first = await worker.waitFor((l) => 'ready' in l || 'unavailable' in l, 30_000);
  if (first.unavailable !== undefined) {
    await worker.stop();
    throw new Error(`traffic engine did not start: ${String(first.unavailable)}`);
  }
  return worker;
}

/** Asks the worker for its runtime stats. */
export async function workerStats(worker: LineProcess): Promise<Record<string, unknown>> {
  const before = worker.lines.length;
  worker.send({ stats: true });
  const line = await worker.waitFor((l) => 'stats' in l && worker.lines.indexOf(l) >= before);
  return line.stats as Record<string, unknown>;
}

export interface CurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs curl in the client namespace. */
export function curl(lab: Lab, args: readonly string[], timeoutMs = 60_000): CurlResult {
  const started = performance.now();
  const r = lab.exec(
    lab.client,
    'curl',
    ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args],
    timeoutMs + 5000,
  );
  return { ...r, ms: performance.now() - started };
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Downloads n bytes from the lab server; returns the sha256 received and the one the server sent. */
export function download(lab: Lab, port: number, n: number): { received?: string; sent?: string; curl: CurlResult } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-traffic-'));
  try {
    const r = curl(lab, ['-D', join(dir, 'h'), '-o', join(dir, 'b'), `http://${lab.serverAddress}:${port}/bytes/${n}`]);
    if (r.code !== 0) return { curl: r };
    const sent = /x-sha256: ([0-9a-f]+)/i.exec(readFileSync(join(dir, 'h'), 'utf8'))?.[1];
    return { received: sha256(readFileSync(join(dir, 'b'))), ...(sent ? { sent } : {}), curl: r };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Uploads the bytes to the lab server; returns what the server says it received. */
export function upload(
  lab: Lab,
  port: number,
  bytes: Uint8Array,
): { sha256?: string; length?: number; curl: CurlResult } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-traffic-'));
  try {
    const file = join(dir, 'u');
    writeFileSync(file, bytes);
    const r = curl(lab, ['-X', 'POST', '--data-binary', `@${file}`, `http://${lab.serverAddress}:${port}/upload`]);
    if (r.code !== 0) return { curl: r };
    return { ...(JSON.parse(r.stdout) as { sha256: string; length: number }), curl: r };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
