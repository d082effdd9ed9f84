import type { LocalOptions } from '@bulwark/protocol';

/** The local option a host's administrator sets to let the manager's command sources run here. */
export const REMOTE_COMMANDS_OPTION = 'loginspect.remoteCommands';

/**
 * Why the manager's command sources may not run on this host, or undefined when they may.
 * Commands run as root on every host of a policy: a manager account alone must not be enough
 * (OSSEC's `logcollector.remote_commands`), so the host's administrator opts in locally.
 */
export function commandsRefused(local: LocalOptions | undefined): string | undefined {
  const value = local?.get(REMOTE_COMMANDS_OPTION)?.trim().toLowerCase();
  if (value === '1' || value === 'true' || value === 'yes') return undefined;
  const file = local?.source ?? '/etc/bulwark/agent.conf';
  const unusable = local?.problem ? ` (${file} is not used now: ${local.problem})` : '';
  return (
    `this host does not allow commands from the manager${unusable}; to allow them, add the line ` +
    `"${REMOTE_COMMANDS_OPTION} = 1" to ${file} (owned by root, not writable by others) and restart the agent`
  );
}
