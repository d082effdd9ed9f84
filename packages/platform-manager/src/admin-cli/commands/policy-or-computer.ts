import { resolvePolicyId } from '../api-calls.js';
import { type CliResult, ok, usageError } from '../cli-error.js';
import { type CommandInput, stringOption } from '../command.js';
import { computerPath } from '../computer-names.js';
import type { ManagerClient } from '../manager-client.js';

/** The options of a command that acts at a policy or at a computer. */
export const targetOptions = { policy: { type: 'string' }, computer: { type: 'string' } } as const;

/** Help lines for `targetOptions`: `what` finishes "… this policy" / "… this computer". */
export function targetOptionHelp(what: string) {
  return [
    ['--policy ID|NAME', `${what} this policy`],
    ['--computer ID|NAME', `${what} this computer`],
  ] as const;
}

/** `/api/policies/<id>` or `/api/computers/<id>`, from exactly one of --policy and --computer. */
export async function targetPath(client: ManagerClient, input: CommandInput): Promise<CliResult<string>> {
  const policy = stringOption(input, 'policy');
  const computer = stringOption(input, 'computer');
  if ((policy === undefined) === (computer === undefined)) {
    return usageError('give exactly one of --policy ID|NAME and --computer ID|NAME');
  }
  if (computer !== undefined) {
    return computerPath(client, computer);
  }
  const id = await resolvePolicyId(client, policy!, false);
  return id.ok ? ok(`/api/policies/${id.value}`) : id;
}
