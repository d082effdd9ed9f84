import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  ModuleConfiguration,
  ModuleStatus,
} from '@bulwark/protocol';
import { describeIssues, describeRejectedRules, parseWith } from '@bulwark/protocol';
import {
  type CompiledAppcontrolRules,
  compileAppcontrolRules,
  matchAppcontrolRules,
  AppcontrolConfiguration,
} from '../engine/index.js';

const ID = 'appcontrol';

/**
 * The agent side: applies the compiled configuration and answers the "check" command. A module
 * that touches the host (nft, fanotify, files) does it here, through the kernel package or OS
 * tools; the engine stays pure.
 */
class AppcontrolAgentModule implements AgentModule {
  readonly id = ID;
  readonly #context: AgentModuleContext;
  #rules: CompiledAppcontrolRules | null = null;
  #status: ModuleStatus = { id: ID, state: 'off' };
  #matches = 0;

  constructor(context: AgentModuleContext) {
    this.#context = context;
  }

  async apply(configuration: ModuleConfiguration): Promise<void> {
    if (!configuration.enabled) {
      await this.stop();
      return;
    }
    const parsed = parseWith(AppcontrolConfiguration, configuration.configuration);
    if (!parsed.ok) {
      // Keep what is in force: a refused configuration must not switch protection off.
      this.#status = {
        id: ID,
        state: 'error',
        reason: `configuration refused, the previous one stays in force: ${describeIssues(parsed.issues)}`,
      };
      return;
    }
    this.#rules = compileAppcontrolRules(parsed.value.rules);
    this.#status = {
      id: ID,
      state: 'on',
      ...(this.#rules.refused.length > 0 ? { reason: describeRejectedRules(this.#rules.refused) } : {}),
    };
  }

  async stop(): Promise<void> {
    this.#rules = null;
    this.#status = { id: ID, state: 'off' };
  }

  status(): ModuleStatus {
    return {
      ...this.#status,
      counters: {
        rules: this.#rules?.rules.length ?? 0,
        refusedRules: this.#rules?.refused.length ?? 0,
        matches: this.#matches,
      },
    };
  }

  async run(command: string, args: Readonly<Record<string, unknown>>): Promise<unknown> {
    if (command !== 'check') throw new Error(`${ID} has no command "${command}"; its commands: check`);
    if (this.#rules === null) throw new Error(`${ID} is off on this computer`);
    const text = typeof args.text === 'string' ? args.text : '';
    const matched = matchAppcontrolRules(this.#rules, text);
    for (const rule of matched) {
      this.#matches++;
      this.#context.emit({
        module: ID,
        type: 'match',
        severity: rule.severity,
        ruleId: rule.id,
        action: 'Log',
        summary: `${rule.name}: "${rule.pattern}" found`,
        details: { rule: rule.id, pattern: rule.pattern, text: text.slice(0, 1024) },
      });
    }
    return { matched: matched.map((r) => r.id) };
  }
}

/** The agent side of the module: what the agent's registry lists. */
export const agentModule: AgentModuleFactory = {
  id: ID,
  create: (context) => new AppcontrolAgentModule(context),
};
