import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `nft` with arguments and optional stdin. Injectable so tests can run it inside a netns. */
export type NftRunner = (args: readonly string[], input?: string) => Promise<CommandResult>;

/** Runs a program; a missing program resolves with code 127 and the reason, never rejects. */
export function runCommand(
  command: string,
  args: readonly string[],
  input?: string,
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 16_000_000) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 1_000_000) stderr += d;
    });
    child.on('error', (error) => resolve({ code: 127, stdout, stderr: `${command}: ${error.message}` }));
    const started = Date.now();
    child.on('close', (code, signal) => {
      // Killed by our own timeout: say so, or the caller reports an empty "refused" message.
      const timedOut = signal !== null && Date.now() - started >= timeoutMs;
      const note = timedOut ? `${command}: stopped after ${timeoutMs / 1000} s (${signal})\n` : '';
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: note + stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

/** `nft` on this host (or in the namespace the agent runs in). */
export const hostNft: NftRunner = (args, input) => runCommand('nft', args, input);

/** `nft` inside a named network namespace, for tests and benches. */
export function namespaceNft(namespace: string): NftRunner {
  return (args, input) => runCommand('ip', ['netns', 'exec', namespace, 'nft', ...args], input);
}
