import { lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import type { ManagerEndpoint } from '../engine/index.js';

/** Where the agent's manager is, as addresses the table can name; empty when unknown. */
export type ManagerEndpointSource = (dataDir: string) => Promise<ManagerEndpointsRead>;

export type ManagerEndpointsRead =
  | { readonly ok: true; readonly endpoints: readonly ManagerEndpoint[] }
  | { readonly ok: false; readonly reason: string };

/** The manager of an agent that is not activated: nothing to keep open. */
const NONE: ManagerEndpointsRead = { ok: true, endpoints: [] };

/**
 * The manager URL from the platform agent's identity file. The platform agent keeps each module's
 * data in `<agent data dir>/modules/<id>` and its identity in `<agent data dir>/identity.json`;
 * the module contract has no field for the manager's address, so this reads it from there.
 */
export const identityManagerEndpoints: ManagerEndpointSource = async (dataDir) => {
  const path = join(dirname(dirname(dataDir)), 'identity.json');
  let url: URL;
  try {
    const identity = JSON.parse(readFileSync(path, 'utf8')) as { managerUrl?: unknown };
    if (typeof identity.managerUrl !== 'string') return NONE;
    url = new URL(identity.managerUrl);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NONE;
    return { ok: false, reason: `reading the manager URL from ${path}: ${(error as Error).message}` };
  }
  return resolveManagerUrl(url);
};

/** Addresses and port of a manager URL (a name is resolved; every address it has is kept open). */
export async function resolveManagerUrl(url: URL): Promise<ManagerEndpointsRead> {
  const port = Number(url.port || (url.protocol === 'http:' ? 80 : 443));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host);
  if (literal !== 0) return { ok: true, endpoints: [{ address: host, family: literal === 4 ? 'ipv4' : 'ipv6', port }] };
  try {
    const found = await lookup(host, { all: true });
    return {
      ok: true,
      endpoints: found.map((a) => ({ address: a.address, family: a.family === 4 ? 'ipv4' : 'ipv6', port })),
    };
  } catch (error) {
    return { ok: false, reason: `resolving the manager ${host}: ${(error as Error).message}` };
  }
}
