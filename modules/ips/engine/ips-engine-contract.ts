/**
 * The contract between the IPS rule engine (rule parsing, compiling, matching: engine/) and the
 * IPS module around it (manager: assignment, settings, rule import; agent: the traffic engine
 * runtime and events). Two people build the two sides at once; this file is what both rely on.
 *
 * Rules come in two formats:
 * - `suricata`: one rule from a .rules file, text unmodified (an administrator imports a file;
 *   the manager stores each rule with id `sid:<sid>` and distributes them as a rule set).
 * - `bulwark`: our own rules (modules/ips/rules/), with the metadata the console shows. Their
 *   detection is either a Suricata-language rule body or a native check that takes parameters
 *   an administrator may override per assignment (the HTTP URI limits rule, rate rules).
 */
import type { FlowDirection, InspectionBufferName, TrafficInspector } from '@bulwark/traffic/engine';
import { type Static, Type } from '@sinclair/typebox';

const Severity = Type.Union([
  Type.Literal('info'),
  Type.Literal('low'),
  Type.Literal('medium'),
  Type.Literal('high'),
  Type.Literal('critical'),
]);

/** Ports and protocol a rule applies to: Deep Security's "application type". */
export const IpsApplicationType = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]),
    ports: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 64 }),
  },
  { additionalProperties: false },
);
export type IpsApplicationType = Static<typeof IpsApplicationType>;

/** Parameters of the native HTTP limits check; each may be overridden per assignment. */
export const HttpLimitsParameters = Type.Object(
  {
    maxUriLength: Type.Integer({ minimum: 1, default: 2048 }),
    maxPathDepth: Type.Integer({ minimum: 1, default: 32 }),
    maxParameters: Type.Integer({ minimum: 1, default: 128 }),
    maxParameterLength: Type.Integer({ minimum: 1, default: 1024 }),
  },
  { additionalProperties: false },
);

export const IpsDetection = Type.Union([
  /** A Suricata-language rule (header and options), evaluated like an imported one. */
  Type.Object({ kind: Type.Literal('suricata'), rule: Type.String({ minLength: 1, maxLength: 16384 }) }),
  /**
   * Several Suricata-language rules under one catalogue rule: it matches when any of them does
   * (one attack class, looked for in each place it can hide: query, body, cookies, headers).
   * Refused whole when any one of them is refused.
   */
  Type.Object({
    kind: Type.Literal('suricata-any'),
    rules: Type.Array(Type.String({ minLength: 1, maxLength: 16384 }), { minItems: 1, maxItems: 64 }),
  }),
  Type.Object({ kind: Type.Literal('http-limits'), parameters: HttpLimitsParameters }),
  /** Protocol violations the traffic engine's HTTP parser reports (`HttpRequestFacts.anomalies`). */
  Type.Object({
    kind: Type.Literal('http-anomaly'),
    anomalies: Type.Array(Type.String({ pattern: '^[a-z0-9-]{1,64}$' }), { minItems: 1, maxItems: 64 }),
  }),
  /** Counts new flows from one source to the rule's ports over a window (e.g. SSH brute force). */
  Type.Object({
    kind: Type.Literal('rate'),
    parameters: Type.Object(
      {
        count: Type.Integer({ minimum: 1, default: 10 }),
        windowSeconds: Type.Integer({ minimum: 1, default: 60 }),
      },
      { additionalProperties: false },
    ),
  }),
]);

export const IpsRule = Type.Object(
  {
    /** Our rules: `bw-<number>`; imported Suricata rules: `sid:<sid>`. */
    id: Type.String({ pattern: '^(bw-[0-9]{1,9}|sid:[0-9]{1,10})$' }),
    format: Type.Union([Type.Literal('bulwark'), Type.Literal('suricata')]),
    name: Type.String({ minLength: 1, maxLength: 512 }),
    description: Type.String({ maxLength: 8192 }),
    severity: Severity,
    cve: Type.Optional(Type.Array(Type.String({ pattern: '^CVE-[0-9]{4}-[0-9]{4,}$' }), { maxItems: 32 })),
    cvss: Type.Optional(Type.Number({ minimum: 0, maximum: 10 })),
    applicationType: IpsApplicationType,
    /** Inventory condition that makes the rule recommended (listening port, package name). */
    recommendWhen: Type.Optional(
      Type.Object(
        {
          listeningPorts: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 64 })),
          packages: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 64 })),
        },
        { additionalProperties: false },
      ),
    ),
    detection: IpsDetection,
  },
  { additionalProperties: false },
);
export type IpsRule = Static<typeof IpsRule>;

export type IpsMode = 'prevent' | 'detect';

/** A rule assigned to this computer, with the assignment's overrides merged in. */
export interface AssignedIpsRule {
  readonly rule: IpsRule;
  /** Per-rule mode from rule overrides; absent = the module's mode. */
  readonly mode?: IpsMode;
  /** Overridden parameters of a native check (merged over the rule's own). */
  readonly parameters?: Record<string, number>;
}

export interface IpsCompileOptions {
  /** `$HOME_NET`-style address and port variables from the module settings. */
  readonly variables: Readonly<Record<string, string>>;
}

/** Rules the engine could not evaluate in full: refused whole, never half-evaluated. */
export interface RefusedIpsRule {
  readonly id: string;
  /** Short stable class for counting, e.g. `unsupported-keyword:byte_test`, `regex-unsafe`. */
  readonly reasonClass: string;
  readonly reason: string;
}

/** Opaque to the module; only the engine looks inside. */
export interface CompiledIpsRuleSet {
  readonly ruleCount: number;
  /** Ports and protocols the loaded rules need to see (the traffic engine steers only these). */
  readonly applicationTypes: readonly IpsApplicationType[];
}

export interface IpsCompileResult {
  readonly ruleSet: CompiledIpsRuleSet;
  readonly refused: readonly RefusedIpsRule[];
}

/** One rule that matched one inspection unit. */
export interface IpsFinding {
  readonly ruleId: string;
  readonly ruleName: string;
  readonly severity: Static<typeof Severity>;
  /** `block` when the rule's mode is prevent (the engine decides whether tap makes it detect). */
  readonly action: 'block' | 'detect';
  readonly direction: FlowDirection;
  /** The buffer whose content matched (for native checks, the one measured). */
  readonly buffer: InspectionBufferName;
  /** Bounded (at most 256 bytes), printable excerpt of what matched. */
  readonly evidence: string;
  /** Suricata `msg`, classtype, sid/rev where the rule has them. */
  readonly message?: string;
  readonly classtype?: string;
}

export interface IpsEngineApi {
  compileIpsRules(rules: readonly AssignedIpsRule[], options: IpsCompileOptions): IpsCompileResult;
  createIpsInspector(ruleSet: CompiledIpsRuleSet, moduleMode: IpsMode): TrafficInspector<IpsFinding>;
}
