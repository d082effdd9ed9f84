import { X509Certificate } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../problem-types.js';

/** Where the installed manager package puts the agent package (packaging/build-debs.mjs). */
export const DEFAULT_AGENT_PACKAGES_DIR = '/usr/share/bulwark/agent-packages';

// Only agent package names: nothing else in the folder (or outside it) can be asked for.
const PACKAGE_NAME = /^bulwark-agent_[0-9][0-9A-Za-z.+~-]*_(amd64|arm64)\.deb$/;

/** The CA among the PEM certificates the console serves (server certificate, then its CA). */
function caOf(chainPem: string): string | undefined {
  for (const block of chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
    const certificate = new X509Certificate(block);
    if (certificate.ca) return certificate.toString();
  }
  return undefined;
}

/**
 * What the deployment script (`bulwark tokens create --script`) downloads: the manager's CA
 * certificate, which the CLI checks and writes into the script, and the agent package. Public like
 * the software and the certificate are: what activates an agent is the token, and the script trusts
 * only that CA. The folder is $BULWARK_AGENT_PACKAGES_DIR (the manager's systemd unit sets it).
 */
export async function agentPackageRoutes(app: FastifyInstance, consoleChainPem: string): Promise<void> {
  const folder = process.env.BULWARK_AGENT_PACKAGES_DIR || DEFAULT_AGENT_PACKAGES_DIR;
  const caPem = caOf(consoleChainPem);
  app.get(
    '/agent-package/manager-ca.crt',
    {
      config: { role: 'none' },
      schema: {
        tags: ['system'],
        security: [],
        response: { 200: { description: "the manager's CA certificate (PEM)", type: 'string' } },
      },
    },
    async (_request, reply) => {
      if (caPem === undefined) return sendProblem(reply, 'not-found', 'the console serves no CA certificate');
      return reply.type('application/x-pem-file').send(caPem);
    },
  );
  app.get(
    '/agent-package/:file',
    {
      config: { role: 'none' },
      schema: {
        tags: ['system'],
        security: [],
        params: Type.Object({ file: Type.String({ maxLength: 200 }) }),
        response: { 200: { description: 'the Debian package (application/vnd.debian.binary-package)' } },
      },
    },
    async (request, reply) => {
      const { file } = request.params as { file: string };
      if (!PACKAGE_NAME.test(file))
        return sendProblem(
          reply,
          'not-found',
          `${file} is not an agent package name (bulwark-agent_<version>_<arch>.deb)`,
        );
      const path = join(folder, file);
      const found = await stat(path).catch(() => undefined);
      if (!found?.isFile())
        return sendProblem(
          reply,
          'not-found',
          `no agent package ${file} on this manager: put it in ${folder} (npm run package builds it; the bulwark-manager package installs it there)`,
        );
      return reply
        .type('application/vnd.debian.binary-package')
        .header('content-length', found.size)
        .header('content-disposition', `attachment; filename="${file}"`)
        .send(createReadStream(path));
    },
  );
}
