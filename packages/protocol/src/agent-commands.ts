import { type Static, type TSchema, Type } from '@sinclair/typebox';

/**
 * Commands from the manager to one module on one agent ("scan now", "rebuild the baseline").
 * The agent never listens: a command reaches it in the answer to a heartbeat (the manager wakes
 * it through the long-poll channel when a command is created), it runs the command through the
 * module's `run(command, arguments)`, and it reports the outcome with one small POST. An agent
 * that does not say `acceptsCommands` in its heartbeat is never sent any (older agents reject
 * unknown fields in the heartbeat answer).
 */

/** Module ids and command names: lower-case words joined by dashes, e.g. `rebuild-baseline`. */
export const COMMAND_NAME_PATTERN = '^[a-z][a-z0-9-]{0,63}$';

/** The most commands one heartbeat answer carries; the rest wait for the next heartbeat. */
export const MAX_COMMANDS_PER_HEARTBEAT = 16;

/** The largest serialised command result the manager stores; agents cut larger ones. */
export const MAX_COMMAND_RESULT_BYTES = 256 * 1024;

export const CommandArguments = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
  description: 'Arguments of the command, as the module defines them (e.g. integrity: { ruleId })',
});
export type CommandArguments = Static<typeof CommandArguments>;

export const AgentCommand = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    module: Type.String({ pattern: COMMAND_NAME_PATTERN }),
    command: Type.String({ pattern: COMMAND_NAME_PATTERN }),
    arguments: CommandArguments,
  },
  { additionalProperties: false },
);
export type AgentCommand = Static<typeof AgentCommand>;

export const CommandOutcome = Type.Object(
  {
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    /** What the module's run() resolved to (succeeded), cut to MAX_COMMAND_RESULT_BYTES. */
    result: Type.Optional(Type.Unknown()),
    /** Why it failed, or a note such as "result cut". */
    message: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type CommandOutcome = Static<typeof CommandOutcome>;

export const CommandOutcomeAck = Type.Object(
  {
    id: Type.String(),
    status: Type.String({ description: 'The status the manager holds now (an earlier report wins)' }),
  },
  { additionalProperties: false },
);
export type CommandOutcomeAck = Static<typeof CommandOutcomeAck>;

/**
 * A command a manager-side module definition declares (`ManagerModule.commands`), so the API
 * refuses typos and bad arguments before any agent sees them.
 */
export interface ModuleCommandDefinition {
  readonly name: string;
  readonly description: string;
  /** TypeBox schema of the arguments; absent = any object (the agent module checks). */
  readonly arguments?: TSchema;
  /**
   * A verb of its own under `bulwark computers` (e.g. `scan-integrity ID --rule R`), so the
   * admin CLI offers the command without knowing the module; `computers command` reaches every
   * command either way.
   */
  readonly cli?: ModuleCommandCli;
}

export interface ModuleCommandCli {
  /** `bulwark computers <verb> ID`: lower-case words joined by dashes. */
  readonly verb: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Options that set one argument each: `--<flag> VALUE` → `arguments[argument] = VALUE`. */
  readonly options?: readonly { readonly flag: string; readonly argument: string; readonly help: string }[];
}
