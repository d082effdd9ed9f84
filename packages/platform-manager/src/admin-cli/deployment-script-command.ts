import { type CliResult, ok, usageError } from './cli-error.js';
import { type CommandContext, type CommandInput, type CommandOutput, stringOption } from './command.js';
import { agentUrlFor, deploymentFacts, renderDeploymentScript } from './deployment-script.js';

export interface PreparedDeployment {
  /** The command's answer once the token exists: the script (text) or the token and script (--json). */
  output(token: Readonly<Record<string, unknown>>): CliResult<CommandOutput>;
}

/** `tokens create --script`: what the script needs from the manager, fetched before the token is made. */
export async function prepareDeployment(
  context: CommandContext,
  input: CommandInput,
): Promise<CliResult<PreparedDeployment>> {
  const consoleUrl = context.managerUrl;
  if (consoleUrl === undefined || consoleUrl.protocol !== 'https:')
    return usageError('--script needs the manager over https:// (the script trusts only its CA)');
  const agentUrl = agentUrlFor(consoleUrl, stringOption(input, 'agent-url'));
  if (!agentUrl.ok) return agentUrl;
  const facts = await deploymentFacts(context.client);
  if (!facts.ok) return facts;
  return ok({
    output(token) {
      const script = renderDeploymentScript({
        consoleUrl,
        agentUrl: agentUrl.value,
        ...facts.value,
        token: String(token.token),
        tokenId: String(token.id),
        createdAt: context.now,
      });
      return ok({ json: { ...token, script }, text: script.trimEnd() });
    },
  });
}
