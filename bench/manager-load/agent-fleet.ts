import { appendFile, mkdir, readFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { type AgentIdentity, newKeyAndCsr } from './agent-identity.js';
import { callJson } from './https-call.js';
import type { ManagerReady } from './manager-process.js';

/** Identities activated in earlier runs against the same manager data (bench/out, gitignored). */
export async function loadIdentities(cacheDir: string): Promise<AgentIdentity[]> {
  let text: string;
  try {
    text = await readFile(join(cacheDir, 'identities.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const identities: AgentIdentity[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      identities.push(JSON.parse(line) as AgentIdentity);
    } catch {
      // A line cut short by an interrupted run: the agents after it are activated again.
      break;
    }
  }
  return identities;
}

export interface ActivationReport {
  readonly activated: number;
  readonly failed: number;
  readonly seconds: number;
  readonly errorKinds: Record<string, number>;
}

/**
 * Activates `count` new agents the way the real agent does: key pair + CSR in-process, one
 * activation call each with a shared token. Each identity is appended to the cache as it arrives.
 */
export async function activateAgents(
  ready: ManagerReady,
  cacheDir: string,
  firstIndex: number,
  count: number,
  concurrency: number,
  onProgress: (done: number) => void,
): Promise<{ identities: AgentIdentity[]; report: ActivationReport }> {
  await mkdir(cacheDir, { recursive: true });
  const consoleAgent = new https.Agent({ ca: ready.caCertPem, keepAlive: true, maxSockets: 2 });
  const tokenAnswer = await callJson(
    consoleAgent,
    new URL('/api/activation-tokens', ready.consoleUrl),
    'POST',
    { authorization: `Bearer ${ready.apiKey}` },
    { name: 'manager-load bench', maxUses: count, expiresAt: new Date(Date.now() + 6 * 3600_000).toISOString() },
    30_000,
  );
  consoleAgent.destroy();
  if (!tokenAnswer.ok) throw new Error(`could not create an activation token: ${tokenAnswer.kind}`);
  const token = (tokenAnswer.body as { token: string }).token;

  const anonymous = new https.Agent({ ca: ready.caCertPem, keepAlive: true, maxSockets: concurrency });
  const activateUrl = new URL('/agent/v1/activate', ready.agentUrl);
  const identities: AgentIdentity[] = [];
  const errorKinds: Record<string, number> = {};
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const index = firstIndex + next++;
      const hostname = `bench-agent-${String(index).padStart(6, '0')}`;
      const { keyPem, csrPem } = await newKeyAndCsr(hostname);
      const answer = await callJson(
        anonymous,
        activateUrl,
        'POST',
        {},
        { token, csr: csrPem, hostname, agentVersion: 'bench-0.1.0', platform: 'manager-load bench' },
        60_000,
      );
      if (!answer.ok) {
        failed++;
        errorKinds[answer.kind] = (errorKinds[answer.kind] ?? 0) + 1;
        if (failed > 50 && failed > identities.length)
          throw new Error(`activations keep failing: ${JSON.stringify(errorKinds)}`);
        continue;
      }
      const body = answer.body as { computerId: string; certificate: string };
      const identity: AgentIdentity = { computerId: body.computerId, hostname, keyPem, certPem: body.certificate };
      identities.push(identity);
      const done = identities.length;
      if (done % 500 === 0) onProgress(done);
      await appendFile(join(cacheDir, 'identities.jsonl'), `${JSON.stringify(identity)}\n`, { mode: 0o600 });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  anonymous.destroy();
  return {
    identities,
    report: { activated: identities.length, failed, seconds: (performance.now() - started) / 1000, errorKinds },
  };
}
