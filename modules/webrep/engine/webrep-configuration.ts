import { type Static, Type } from '@sinclair/typebox';

/** Risk scores (0 safe … 100 dangerous) from which each security level blocks. */
export const SECURITY_LEVEL_THRESHOLDS = { high: 30, medium: 60, low: 85 } as const;
export type SecurityLevel = keyof typeof SECURITY_LEVEL_THRESHOLDS;

/** Entries one list may hold in a policy setting; bigger sets belong in reputation data. */
export const MAX_LIST_ENTRIES = 100_000;

export const WebrepListEntries = Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), {
  maxItems: MAX_LIST_ENTRIES,
});

/**
 * What the manager compiles for one computer and the agent applies: the module's part of the
 * security configuration. It lives in engine/ because both sides use it and the agent must
 * never import the manager.
 */
export const WebrepConfiguration = Type.Object(
  {
    /** Report without blocking: the module's `detect` mode, or the network engine in `tap`. */
    detectOnly: Type.Boolean(),
    securityLevel: Type.Union([Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')]),
    blockUnrated: Type.Boolean(),
    blockedCategories: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 256 }),
    /** The allow list with the computer's exceptions, then the block list (target-pattern.ts forms). */
    allow: WebrepListEntries,
    block: WebrepListEntries,
    /** The reputation data package the decisions use; null when none was imported. */
    reputation: Type.Union([
      Type.Object({ version: Type.Integer({ minimum: 1 }), sha256: Type.String() }, { additionalProperties: false }),
      Type.Null(),
    ]),
    /** Destination ports of outbound HTTP and HTTPS (TLS) the module inspects. */
    httpPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 32 }),
    tlsPorts: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 32 }),
    /** Answer blocked HTTP requests with a block page (403) instead of a bare reset. */
    blockPage: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type WebrepConfiguration = Static<typeof WebrepConfiguration>;
