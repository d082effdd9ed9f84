import { type Static, Type } from '@sinclair/typebox';
import { LogSources } from './log-sources.js';

/**
 * What the agent receives: sources, threshold, the built-in groups to run and custom XML. The
 * manager compiles it (manager/loginspect-configuration.ts) and the agent applies it; it lives in
 * engine/ so that the agent never imports the manager.
 */
export const LogInspectConfiguration = Type.Object(
  {
    minimumLevel: Type.Integer({ minimum: 0, maximum: 16 }),
    sources: LogSources,
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
