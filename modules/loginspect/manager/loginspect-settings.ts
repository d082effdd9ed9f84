import { type Static, Type } from '@sinclair/typebox';
import { LogSources } from './loginspect-sources.js';

export { DEFAULT_LOG_FILES } from './loginspect-sources.js';

export const LogInspectSettings = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Read the host logs and raise events for the assigned rules',
    }),
    minimumLevel: Type.Integer({
      minimum: 1,
      maximum: 16,
      default: 5,
      description: 'Lowest rule level (OSSEC scale, 1–16) that becomes an event; lower matches only feed correlation',
    }),
    sources: LogSources,
  },
  { additionalProperties: false },
);
export type LogInspectSettings = Static<typeof LogInspectSettings>;

/**
 * A rule as assigned through the API: either one built-in rule group (`group`, e.g. "sshd") or
 * custom decoders and rules in the OSSEC/Wazuh XML format.
 */
export const LogInspectRule = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    group: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A built-in rule group' })),
    decodersXml: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'Decoders in OSSEC/Wazuh XML' })),
    rulesXml: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'Rules in OSSEC/Wazuh XML' })),
  },
  { additionalProperties: false },
);
export type LogInspectRule = Static<typeof LogInspectRule>;

/** What the agent receives: sources, threshold, the built-in groups to run and custom XML. */
export const LogInspectConfiguration = Type.Object(
  {
    minimumLevel: Type.Integer({ minimum: 0, maximum: 16 }),
    sources: LogInspectSettings.properties.sources,
    builtInGroups: Type.Array(Type.String({ maxLength: 64 }), {
      maxItems: 256,
      description: 'Built-in rule groups to run, sorted',
    }),
    custom: Type.Array(
      Type.Object(
        {
          id: Type.String({ maxLength: 128 }),
          decodersXml: Type.String({ maxLength: 1_000_000 }),
          rulesXml: Type.String({ maxLength: 1_000_000 }),
        },
        { additionalProperties: false },
      ),
      {
        maxItems: 1000,
        description: 'Custom decoders and rules, in rule id order, checked against the built-in ruleset',
      },
    ),
    rejectedRules: Type.Array(
      Type.Object({ id: Type.String(), reason: Type.String() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type LogInspectConfiguration = Static<typeof LogInspectConfiguration>;
