import { type Static, Type } from '@sinclair/typebox';

/**
 * The module's settings. Every property has a `default`; one is `enabled`. Keys are
 * `appcontrol.<property>`; policies and computers store only what they override.
 */
export const AppcontrolSettings = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Turn the module on for computers under this policy' }),
  },
  { additionalProperties: false },
);
export type AppcontrolSettings = Static<typeof AppcontrolSettings>;
