import type { Command } from './command.js';
import { groupsOf } from './commands/index.js';

const GLOBAL_HELP = `Global options (before or after the command):
  --manager URL          the manager's console/API address, e.g. https://127.0.0.1:4119   [BULWARK_MANAGER]
  --api-key KEY          an API key (bulwark api-keys create); prefer the variable      [BULWARK_API_KEY]
  --ca FILE              trust the manager's CA certificate: <dataDir>/pki/ca.crt      [BULWARK_CA]
  --ca-fingerprint HEX   or pin the CA's SHA-256 fingerprint, as the manager prints it  [BULWARK_CA]
  --json                 machine-readable JSON on stdout, for every command
  -h, --help             help for bulwark or for one command

Exit codes: 0 ok, 1 failure, 2 bad command line, 3 not authenticated or not allowed, 4 not found.`;

function usageLine(command: Command): string {
  return ['bulwark', command.group, command.name, command.args].filter((p) => p !== '').join(' ');
}

/** `bulwark --help`, `bulwark <group> --help` or `bulwark <group> <command> --help`. */
export function helpText(commands: readonly Command[], topic: readonly string[]): string {
  const [groupName, commandName] = topic;
  const group = commands.filter((c) => c.group === groupName);
  if (groupName !== undefined && group.length > 0) {
    const command = group.find((c) => c.name === commandName);
    if (command !== undefined) return commandHelp(command);
    return [
      `Commands of bulwark ${groupName}:`,
      ...group.map((c) => `  ${usageLine(c).padEnd(48)} ${c.summary}`),
      '',
      GLOBAL_HELP,
    ].join('\n');
  }
  const lines = [
    'bulwark — administer a Bulwark manager over its REST API',
    '',
    'Usage: bulwark [options] <command> [arguments]',
    '',
  ];
  for (const name of groupsOf(commands)) {
    for (const c of commands.filter((x) => x.group === name)) lines.push(`  ${usageLine(c).padEnd(48)} ${c.summary}`);
  }
  lines.push('', GLOBAL_HELP, '', 'More: bulwark <command> --help');
  return lines.join('\n');
}

function commandHelp(command: Command): string {
  const lines = [
    `Usage: ${usageLine(command)}${command.optionHelp.length > 0 ? ' [options]' : ''}`,
    '',
    command.summary,
  ];
  if (command.optionHelp.length > 0) {
    lines.push('', 'Options:');
    const width = Math.max(...command.optionHelp.map(([f]) => f.length));
    for (const [flagText, text] of command.optionHelp) lines.push(`  ${flagText.padEnd(width)}  ${text}`);
  }
  lines.push('', GLOBAL_HELP);
  return lines.join('\n');
}

/** The command tree as data, for `bulwark --help --json`. */
export function helpJson(commands: readonly Command[]) {
  return commands.map((c) => ({
    command: [c.group, c.name].filter((p) => p !== '').join(' '),
    usage: usageLine(c),
    summary: c.summary,
    options: c.optionHelp.map(([flagText, text]) => ({ flag: flagText, help: text })),
  }));
}
