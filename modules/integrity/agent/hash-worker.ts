import { parentPort } from 'node:worker_threads';
import type { AttributeValue, FileHash } from '../engine/index.js';
import { type Fingerprint, type Inspection, inspectPath } from './file-inspector.js';

/** One path to inspect in a worker; `previous` enables the unchanged-metadata shortcut. */
export interface InspectRequest {
  readonly key: string;
  readonly previous?: Fingerprint;
  readonly previousHashes?: Readonly<Record<string, AttributeValue>>;
}

export interface WorkerTask {
  readonly id: number;
  readonly hashes: readonly FileHash[];
  readonly requests: readonly InspectRequest[];
}

export interface WorkerReply {
  readonly id: number;
  readonly results: readonly Inspection[];
}

parentPort?.on('message', (task: WorkerTask) => {
  const results = task.requests.map((r) => {
    try {
      return inspectPath(r.key, task.hashes, r.previous, r.previousHashes);
    } catch (error) {
      // inspectPath turns every fs error into a reason; anything else is a bug, reported not fatal.
      return { ok: false as const, key: r.key, reason: 'io-error' as const, detail: String(error) };
    }
  });
  parentPort!.postMessage({ id: task.id, results } satisfies WorkerReply);
});
