import { X509Certificate } from 'node:crypto';
import { Writable } from 'node:stream';
import { certificateFingerprint } from '@bulwark/https-client';
import { type CliResult, ExitCode, fail, ok, usageError } from './cli-error.js';
import type { ManagerClient } from './manager-client.js';

export { type DeploymentScriptInput, renderDeploymentScript } from './deployment-script-render.js';

/** Collects a response body (a PEM certificate) through the client's pinned connection. */
async function fetchText(client: ManagerClient, path: string): Promise<CliResult<string>> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const streamed = await client.stream(path, {}, sink, () => {});
  if (!streamed.ok) return streamed;
  return ok(Buffer.concat(chunks).toString('utf8'));
}

/** The manager's version (for the package name) and its CA, as the script needs them. */
export async function deploymentFacts(
  client: ManagerClient,
): Promise<CliResult<{ packageFile: string; caPem: string; caSha256: string }>> {
  const health = await client.request('GET', '/api/health');
  if (!health.ok) return health;
  const version = (health.value.body as { version?: unknown } | null)?.version;
  if (typeof version !== 'string' || !/^[0-9][0-9A-Za-z.+~-]*$/.test(version))
    return fail(ExitCode.failure, 'the manager did not say its version (GET /api/health)');
  const pem = await fetchText(client, '/agent-package/manager-ca.crt');
  if (!pem.ok) return pem;
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(pem.value);
  } catch {
    return fail(ExitCode.failure, 'the manager answered GET /agent-package/manager-ca.crt with no certificate');
  }
  if (!ca.ca) return fail(ExitCode.failure, 'the certificate at /agent-package/manager-ca.crt is not a CA');
  return ok({
    packageFile: `bulwark-agent_${version}_amd64.deb`,
    caPem: ca.toString(),
    caSha256: certificateFingerprint(ca.raw).toLowerCase(),
  });
}

/** --agent-url, else the console URL's host on the default agent port. */
export function agentUrlFor(consoleUrl: URL, given: string | undefined): CliResult<URL> {
  if (given === undefined) {
    const url = new URL(consoleUrl.href);
    url.port = '4120';
    url.pathname = '/';
    return ok(url);
  }
  try {
    const url = new URL(given);
    if (url.protocol !== 'https:') return usageError(`--agent-url must be an https:// URL, got "${given}"`);
    return ok(url);
  } catch {
    return usageError(`--agent-url must be a URL such as https://manager.example:4120, got "${given}"`);
  }
}
