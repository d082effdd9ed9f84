import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentModuleContext, parseWith } from '@bulwark/protocol';
import { type Static, Type } from '@sinclair/typebox';

const Family = Type.Union([Type.Literal('ipv4'), Type.Literal('ipv6')]);

/**
 * What the firewall keeps across agent restarts, in `<module data dir>/state.json`: the sources it
 * blocked (with the wall-clock time each block ends) and the manager addresses it last resolved.
 */
export const FirewallState = Type.Object(
  {
    blocks: Type.Array(
      Type.Object({ address: Type.String({ maxLength: 64 }), family: Family, untilMs: Type.Number() }),
      { maxItems: 100_000 },
    ),
    managerEndpoints: Type.Array(
      Type.Object({
        address: Type.String({ maxLength: 64 }),
        family: Family,
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
      }),
      { maxItems: 64 },
    ),
  },
  { additionalProperties: true },
);
export type FirewallState = Static<typeof FirewallState>;

export const EMPTY_STATE: FirewallState = { blocks: [], managerEndpoints: [] };

export type StateRead = { readonly state: FirewallState; readonly problem?: string };

/** Reads the state; a missing file is an empty state, a damaged one an empty state and a problem to log. */
export function readFirewallState(dataDir: string): StateRead {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'state.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: EMPTY_STATE };
    return { state: EMPTY_STATE, problem: `reading ${join(dataDir, 'state.json')}: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { state: EMPTY_STATE, problem: `${join(dataDir, 'state.json')} is not JSON: ${(error as Error).message}` };
  }
  const parsed = parseWith(FirewallState, json);
  if (!parsed.ok)
    return { state: EMPTY_STATE, problem: `${join(dataDir, 'state.json')} is damaged; starting without saved blocks` };
  return { state: parsed.value };
}

/**
 * Writes the state through the context's `writeStateFile`, so a crash or a power loss leaves the
 * old state or the new one. Returns the error text instead of throwing: losing saved blocks must
 * not stop the firewall.
 */
export function writeFirewallState(
  context: Pick<AgentModuleContext, 'dataDir' | 'writeStateFile'>,
  state: FirewallState,
): string | undefined {
  try {
    context.writeStateFile('state.json', `${JSON.stringify(state)}\n`);
    return undefined;
  } catch (error) {
    return `saving ${join(context.dataDir, 'state.json')}: ${(error as Error).message}`;
  }
}
