import { type Static, Type } from '@sinclair/typebox';
import { IpsRule } from './ips-engine-contract.js';

/** At most this many rules reach one computer (a large imported rule set is ~40,000 rules). */
export const MAX_ASSIGNED_IPS_RULES = 100_000;

const IpsModeSchema = Type.Union([Type.Literal('prevent'), Type.Literal('detect')]);

/** One assigned rule with the overrides of its assignments merged (see AssignedIpsRule). */
export const AssignedIpsRuleSchema = Type.Object(
  {
    rule: IpsRule,
    mode: Type.Optional(IpsModeSchema),
    parameters: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 1 }))),
  },
  { additionalProperties: false },
);

/**
 * What the manager compiles for one computer and the agent applies: the module's part of the
 * security configuration. It lives in engine/ because both sides use it and the agent must
 * never import the manager. The network engine mode (inline/tap) is not here: it is a platform
 * setting and reaches the agent with every configuration (`platform.networkEngineMode`).
 */
export const IpsConfiguration = Type.Object(
  {
    mode: IpsModeSchema,
    /** `$HOME_NET`-style variables, already expanded (no value refers to another variable). */
    variables: Type.Record(Type.String(), Type.String()),
    inspectionDepthBytes: Type.Integer({ minimum: 0 }),
    rules: Type.Array(AssignedIpsRuleSchema, { maxItems: MAX_ASSIGNED_IPS_RULES }),
    /** Assigned rules the manager could not hand over (bad overrides), named so status counts them. */
    rejected: Type.Array(
      Type.Object({ ruleId: Type.String(), reason: Type.String() }, { additionalProperties: false }),
      { maxItems: MAX_ASSIGNED_IPS_RULES },
    ),
  },
  { additionalProperties: false },
);
export type IpsConfiguration = Static<typeof IpsConfiguration>;

/** The `type` of the module's events: one rule matched traffic. */
export const IPS_EVENT_TYPE = 'intrusion';

/** The event's `action`, in the product's words. */
export const IpsEventAction = {
  /** The connection was cut (packet dropped, the client got a reset). */
  reset: 'Reset',
  /** It would have been cut: the rule or module is in detect mode, or the network engine is in tap. */
  detectOnly: 'Detect Only: Reset',
  /**
   * The block was decided but its verdict reached the kernel after the fail-open deadline: the
   * packet that matched passed; the connection's later packets are blocked.
   */
  failOpenReset: 'Fail-Open: Reset',
  /** A detect-mode finding the rule never asked to block (a rate rule in detect, say). */
  log: 'Log',
} as const;
