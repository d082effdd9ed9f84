/**
 * openssl s_servers for web reputation's traffic test and bench: a self-signed certificate with
 * the given names, one s_server per port in the lab's server namespace (s_server serves one
 * connection at a time), and their end. They run in the background of a shell, so stopping the
 * shell leaves them; a process left holding a test's pipes keeps the test file from ending, so
 * every process of the server namespace is killed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type Lab, type LineProcess, spawnInNamespace } from '../traffic/traffic-lab.js';

/** Writes key.pem and cert.pem (P-256, one day) into `dir`; throws with openssl's words. */
export function makeCertificate(dir: string, commonName: string, dnsNames: readonly string[] = []): void {
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
      ...(dnsNames.length > 0 ? ['-addext', `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(',')}`] : []),
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl req: ${made.stderr}`);
}

/** One `openssl s_server -www` per port with the certificate in `dir`; resolves once the shell ran them. */
export async function startTlsServers(lab: Lab, dir: string, ports: readonly number[]): Promise<LineProcess> {
  const servers = ports
    .map(
      (port) =>
        `openssl s_server -quiet -accept ${lab.serverAddress}:${port} -cert ${join(dir, 'cert.pem')} -key ${join(dir, 'key.pem')} -www >/dev/null 2>&1 &`,
    )
    .join('\n');
  const shell = spawnInNamespace(lab.server, ['sh', '-c', `${servers}\necho '{"listening":true}'; wait`]);
  await shell.waitFor((l) => 'listening' in l);
  return shell;
}

/** Kills every process of the lab's server namespace (the s_servers among them), then the shell. */
export async function stopTlsServers(lab: Lab, shell: LineProcess | undefined): Promise<void> {
  spawnSync('sh', ['-c', `ip netns pids ${lab.server} | xargs -r kill -9`]);
  await shell?.stop();
}
