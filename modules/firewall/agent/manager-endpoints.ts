import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { AgentModuleContext } from '@bulwark/protocol';
import type { ManagerEndpoint } from '../engine/index.js';

/** Where the agent's manager is, as addresses the table can name; empty when unknown. */
export type ManagerEndpointSource = (context: AgentModuleContext) => Promise<ManagerEndpointsRead>;

export type ManagerEndpointsRead =
  | { readonly ok: true; readonly endpoints: readonly ManagerEndpoint[] }
  | { readonly ok: false; readonly reason: string };

/** The manager of an agent that is not activated: nothing to keep open. */
const NONE: ManagerEndpointsRead = { ok: true, endpoints: [] };

/** The manager URL the platform agent hands the module in its context. */
export const contextManagerEndpoints: ManagerEndpointSource = async (context) => {
  if (context.managerUrl === undefined) return NONE;
  let url: URL;
  try {
    url = new URL(context.managerUrl);
  } catch {
    return { ok: false, reason: `the manager URL "${context.managerUrl}" is not a URL` };
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
