import { type Static, Type } from '@sinclair/typebox';
import { LogSources } from '../engine/log-sources.js';

export { LogInspectConfiguration } from '../engine/agent-configuration.js';
export { DEFAULT_LOG_FILES } from '../engine/log-sources.js';

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
