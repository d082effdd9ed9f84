import type {
  AgentModule,
  AgentModuleContext,
  AgentModuleFactory,
  ModuleConfiguration,
  ModuleStatus,
} from '@bulwark/protocol';
import { describeIssues, describeRejectedRules, parseWith } from '@bulwark/protocol';
import {
  compileIpsRules,
  createIpsInspector,
  type IpsCompileResult,
  IpsConfiguration,
  type IpsRule,
  requestForTarget,
  unitsFromRequestBytes,
} from '../engine/index.js';

const ID = 'ips';

/**
 * The agent side: applies the compiled configuration and answers the "check" command. A module
 * that touches the host (nft, fanotify, files) does it here, through the kernel package or OS
 * tools; the engine stays pure.
 */
class IpsAgentModule implements AgentModule {
  readonly id = ID;
  readonly #context: AgentModuleContext;
  #rules: IpsCompileResult | null = null;
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
    const parsed = parseWith(IpsConfiguration, configuration.configuration);
    if (!parsed.ok) {
      // Keep what is in force: a refused configuration must not switch protection off.
      this.#status = {
        id: ID,
        state: 'error',
        reason: `configuration refused, the previous one stays in force: ${describeIssues(parsed.issues)}`,
      };
      return;
    }
    this.#rules = compileIpsRules(
      parsed.value.rules.map((rule) => ({ rule: rule as IpsRule })),
      { variables: {} },
    );
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
        rules: this.#rules?.ruleSet.ruleCount ?? 0,
        refusedRules: this.#rules?.refused.length ?? 0,
        matches: this.#matches,
      },
    };
  }

  async run(command: string, args: Readonly<Record<string, unknown>>): Promise<unknown> {
    if (command !== 'check') throw new Error(`${ID} has no command "${command}"; its commands: check`);
    if (this.#rules === null) throw new Error(`${ID} is off on this computer`);
    const text = typeof args.text === 'string' ? args.text : '';
    // The text is a request target: the request goes through the traffic engine's HTTP parser
    // and the assigned rules, as a request on the wire would.
    const inspector = createIpsInspector(this.#rules.ruleSet, 'detect');
    const state = inspector.newFlowState();
    const matched: string[] = [];
    for (const unit of unitsFromRequestBytes(requestForTarget(text))) {
      for (const finding of inspector.inspect(unit, state).findings) {
        this.#matches++;
        matched.push(finding.ruleId);
        this.#context.emit({
          module: ID,
          type: 'match',
          severity: finding.severity,
          ruleId: finding.ruleId,
          action: 'Log',
          summary: `${finding.ruleName}: ${finding.evidence.slice(0, 120)}`,
          details: { rule: finding.ruleId, buffer: finding.buffer, evidence: finding.evidence },
        });
      }
    }
    return { matched };
  }
}

/** The agent side of the module: what the agent's registry lists. */
export const agentModule: AgentModuleFactory = {
  id: ID,
  create: (context) => new IpsAgentModule(context),
};
