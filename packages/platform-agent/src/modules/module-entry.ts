import type { AgentLocalCommand, AgentModuleFactory } from '@bulwark/protocol';

/** What `bulwark-agent --help` shows of a module's host command, known without loading the module. */
export type LocalCommandSummary = Pick<AgentLocalCommand, 'verb' | 'usage' | 'summary'>;

/**
 * A module as the agent's registry lists it. Its code is imported only when it is needed — the
 * configuration turns the module on, it may have left something on the host to take back, or one
 * of its host commands is run — so an agent pays in memory and start-up only for the modules in
 * use, and `--help` and `--version` load none (the build gives each module a chunk of its own).
 */
export interface AgentModuleEntry {
  readonly id: string;
  load(): Promise<AgentModuleFactory>;
  /** The module's host commands as `--help` lists them; registry.test.ts checks them against the module's own. */
  readonly localCommands?: readonly LocalCommandSummary[];
}

/** A factory already in memory (tests, benchmarks) as a registry entry. */
export function moduleEntry(module: AgentModuleFactory | AgentModuleEntry): AgentModuleEntry {
  if ('load' in module) return module;
  return {
    id: module.id,
    load: async () => module,
    ...(module.localCommands ? { localCommands: module.localCommands } : {}),
  };
}
