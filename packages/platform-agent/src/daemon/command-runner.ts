import {
  type AgentCommand,
  type AgentModule,
  AgentRoutes,
  type CommandOutcome,
  CommandOutcomeAck,
  MAX_COMMAND_RESULT_BYTES,
} from '@bulwark/protocol';
import { backoffDelay, sleep } from '../channel/backoff.js';
import type { ManagerChannel } from '../channel/manager-channel.js';
import type { AgentLogger } from '../log/json-logger.js';

/** Commands remembered so a command delivered twice (a retried heartbeat answer) runs once. */
const REMEMBERED_COMMANDS = 1000;
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

export interface CommandRunnerOptions {
  readonly module: (id: string) => AgentModule | undefined;
  readonly channel: Pick<ManagerChannel, 'call'>;
  readonly log: AgentLogger;
  readonly signal: AbortSignal;
  /** After each command, whatever its outcome (the agent then offers changed snapshots). */
  readonly onFinished?: () => void;
  readonly timeoutMs?: number;
}

/** Runs one command through its module; never throws: every failure is an outcome with a message. */
export async function executeCommand(
  module: AgentModule | undefined,
  command: AgentCommand,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<CommandOutcome> {
  if (module === undefined)
    return {
      status: 'failed',
      message: `module ${command.module} is not running on this computer (its security configuration does not include it, or this agent has no such module)`,
    };
  if (typeof module.run !== 'function')
    return { status: 'failed', message: `module ${command.module} takes no commands` };
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not finish within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const result = await Promise.race([
      Promise.resolve().then(() => module.run!(command.command, command.arguments)),
      deadline,
    ]);
    if (result === undefined) return { status: 'succeeded' };
    const bytes = Buffer.byteLength(JSON.stringify(result) ?? '');
    if (bytes > MAX_COMMAND_RESULT_BYTES)
      return {
        status: 'succeeded',
        message: `result left out: ${bytes} bytes, more than the ${MAX_COMMAND_RESULT_BYTES} the manager keeps`,
      };
    return { status: 'succeeded', result };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: 'failed', message: `${command.module} ${command.command}: ${message}`.slice(0, 4096) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the commands heartbeat answers carry, each on its own (a long scan does not hold up the
 * heartbeat loop), and reports each outcome to the manager, retrying until it is taken or the
 * agent stops. The manager's outcome route is idempotent per command id, so a retry after a lost
 * answer is harmless.
 */
export class CommandRunner {
  readonly #options: CommandRunnerOptions;
  readonly #seen = new Set<string>();
  readonly #running = new Set<Promise<void>>();

  constructor(options: CommandRunnerOptions) {
    this.#options = options;
  }

  accept(commands: readonly AgentCommand[]): void {
    for (const command of commands) {
      if (this.#seen.has(command.id)) continue;
      this.#seen.add(command.id);
      if (this.#seen.size > REMEMBERED_COMMANDS) this.#seen.delete(this.#seen.values().next().value as string);
      const work = this.#run(command).finally(() => this.#running.delete(work));
      this.#running.add(work);
    }
  }

  /** Resolves when every command accepted so far has run and reported (or the agent stopped). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
  }

  async #run(command: AgentCommand): Promise<void> {
    const { log } = this.#options;
    log.info('running command', { commandId: command.id, module: command.module, command: command.command });
    const outcome = await executeCommand(this.#options.module(command.module), command, this.#options.timeoutMs);
    log.info('command finished', { commandId: command.id, status: outcome.status, message: outcome.message });
    try {
      this.#options.onFinished?.();
    } catch (error) {
      log.warn('after-command hook failed', { error: (error as Error).message });
    }
    await this.#report(command.id, outcome);
  }

  async #report(commandId: string, outcome: CommandOutcome): Promise<void> {
    const { channel, signal, log } = this.#options;
    const path = AgentRoutes.commandOutcome.path.replace(':id', encodeURIComponent(commandId));
    for (let attempt = 0; !signal.aborted; attempt++) {
      const result = await channel.call('POST', path, outcome, CommandOutcomeAck, { retries: 2, signal });
      if (result.ok) return;
      if (!result.retryable) {
        log.warn('command outcome refused by the manager', { commandId, reason: result.message });
        return;
      }
      log.warn('command outcome not delivered yet', { commandId, reason: result.message });
      if (!(await sleep(backoffDelay(attempt, 2000, 60_000), signal))) return;
    }
  }
}
