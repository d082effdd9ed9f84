// What the agent's cluster tests share: manager nodes of one cluster (one PostgreSQL database, one
// CA through the cluster key), temporary directories, waiting on a condition, and the events
// stored for a computer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAgentStatus } from '@bulwark/platform-agent';
import { type RunningManager, startManager } from '@bulwark/platform-manager';

type NodeOptions = Partial<Parameters<typeof startManager>[0]>;

export function clusterOfNodes(name: string, options: NodeOptions = {}) {
  const dirs: string[] = [];
  return {
    tempDir(what: string): string {
      const dir = mkdtempSync(join(tmpdir(), `bulwark-${name}-${what}-`));
      dirs.push(dir);
      return dir;
    },
    node(dataDir: string, databaseUrl: string): Promise<RunningManager> {
      return startManager({
        dataDir,
        databaseUrl,
        consolePort: 0,
        agentPort: 0,
        listenAddress: '127.0.0.1',
        logger: false,
        clusterKey: `${name}-test-cluster-key-0123456789abcdef`,
        ...options,
      });
    },
    removeDirs(): void {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits for `predicate`; a timeout names what was awaited and shows the agent's status. */
export async function until(
  what: string,
  agentDir: string,
  predicate: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for: ${what}; agent: ${JSON.stringify(readAgentStatus(agentDir)).slice(0, 1500)}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The sequence numbers of the test events (module `crash-test`) stored for a computer, sorted. */
export async function storedSeqs(manager: RunningManager, computerId: string): Promise<number[]> {
  const seqs: number[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await manager.services.events.query({ computerId, limit: 500, ...(cursor ? { cursor } : {}) });
    assert.ok(page.ok);
    seqs.push(...page.value.items.filter((e) => e.module === 'crash-test').map((e) => e.seq));
    if (!page.value.nextCursor) return seqs.sort((x, y) => x - y);
    cursor = page.value.nextCursor;
  }
}
