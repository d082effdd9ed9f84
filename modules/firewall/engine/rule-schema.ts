import { type Static, Type } from '@sinclair/typebox';

const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });
const ListRefs = Type.Array(Id, { maxItems: 64, description: 'Ids of reusable lists' });

export const RuleAction = Type.Union(
  [
    Type.Literal('allow'),
    Type.Literal('deny'),
    Type.Literal('force-allow'),
    Type.Literal('bypass'),
    Type.Literal('log-only'),
  ],
  {
    description:
      'allow: lets matching traffic through (and, once a direction has an allow rule, everything else in that direction is denied); ' +
      'deny: drops it; force-allow: lets it through even where a deny of the same priority matches; ' +
      'bypass: lets it through ahead of everything of the same priority; log-only: records it and decides nothing',
  },
);
export type RuleAction = Static<typeof RuleAction>;

/**
 * Per-rule enforcement, set on a rule or overridden per policy or computer: `detect` makes a deny
 * rule log a would-be drop (`Detect Only: Deny`) and let the packet go on to the next rule, as if
 * it were not there. Only deny rules drop, so only they take `detect`.
 */
export const RuleMode = Type.Union([Type.Literal('prevent'), Type.Literal('detect')], {
  description: 'prevent (default): a deny rule drops; detect: it logs the packet it would drop and lets it go on',
});
export type RuleMode = Static<typeof RuleMode>;

export const Direction = Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')]);
export type Direction = Static<typeof Direction>;

/**
 * No `other`: frames that are neither IP nor ARP never reach the inet/arp hooks the compiled
 * table lives in, so a rule for them could be stored but never enforced (see the README).
 */
export const FrameType = Type.Union(
  [Type.Literal('any'), Type.Literal('ipv4'), Type.Literal('ipv6'), Type.Literal('arp')],
  { description: 'any = IPv4 or IPv6' },
);

export const Protocol = Type.Union(
  [
    Type.Literal('any'),
    Type.Literal('tcp'),
    Type.Literal('udp'),
    Type.Literal('icmp'),
    Type.Literal('icmpv6'),
    Type.Integer({ minimum: 0, maximum: 255, description: 'IP protocol number' }),
  ],
  { default: 'any' },
);
export type Protocol = Static<typeof Protocol>;

export const AddressMatch = Type.Object(
  {
    addresses: Type.Optional(
      Type.Array(Type.String({ maxLength: 100 }), {
        maxItems: 10_000,
        description: 'Single addresses, CIDR blocks (10.0.0.0/8) or ranges (10.0.0.1-10.0.0.9), IPv4 or IPv6',
      }),
    ),
    ipLists: Type.Optional(ListRefs),
    negate: Type.Optional(Type.Boolean({ description: 'Match everything except these' })),
  },
  { additionalProperties: false },
);
export type AddressMatch = Static<typeof AddressMatch>;

export const PortTerm = Type.Union([
  Type.Integer({ minimum: 0, maximum: 65535 }),
  Type.String({ maxLength: 20, description: 'A port or a range "low-high"' }),
]);

export const PortMatch = Type.Object(
  {
    ports: Type.Optional(Type.Array(PortTerm, { maxItems: 10_000 })),
    portLists: Type.Optional(ListRefs),
    negate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PortMatch = Static<typeof PortMatch>;

export const MacMatch = Type.Object(
  {
    macs: Type.Optional(Type.Array(Type.String({ maxLength: 17 }), { maxItems: 10_000 })),
    macLists: Type.Optional(ListRefs),
    negate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type MacMatch = Static<typeof MacMatch>;

export const TCP_FLAGS = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg'] as const;
const TcpFlag = Type.Union(TCP_FLAGS.map((f) => Type.Literal(f)));
export const TcpFlagsMatch = Type.Object(
  {
    set: Type.Array(TcpFlag, { maxItems: 6, description: 'Flags that must be set' }),
    unset: Type.Array(TcpFlag, { maxItems: 6, description: 'Flags that must be clear' }),
  },
  { additionalProperties: false },
);
export type TcpFlagsMatch = Static<typeof TcpFlagsMatch>;

export const ICMP_TYPES = [
  'echo-request',
  'echo-reply',
  'destination-unreachable',
  'time-exceeded',
  'parameter-problem',
  'packet-too-big',
  'nd-router-solicit',
  'nd-router-advert',
  'nd-neighbor-solicit',
  'nd-neighbor-advert',
] as const;
export type IcmpType = (typeof ICMP_TYPES)[number];

export const INTERFACE_TYPES = ['ethernet', 'loopback', 'ppp', 'tunnel'] as const;
export const InterfaceMatch = Type.Object(
  {
    namePattern: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 15,
        pattern: '^[A-Za-z0-9_.:-]+\\*?$',
        description: 'Interface name, or a prefix ending in * (eth*)',
      }),
    ),
    type: Type.Optional(Type.Union(INTERFACE_TYPES.map((t) => Type.Literal(t)))),
  },
  { additionalProperties: false },
);

export const CONNECTION_STATES = ['new', 'established', 'related', 'invalid'] as const;

export const FirewallRule = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 4000 })),
    action: RuleAction,
    mode: Type.Optional(RuleMode),
    priority: Type.Integer({ minimum: 0, maximum: 4, description: '0 lowest to 4 highest' }),
    direction: Direction,
    frameType: Type.Optional(FrameType),
    protocol: Type.Optional(Protocol),
    source: Type.Optional(AddressMatch),
    destination: Type.Optional(AddressMatch),
    sourceMac: Type.Optional(MacMatch),
    sourcePorts: Type.Optional(PortMatch),
    destinationPorts: Type.Optional(PortMatch),
    tcpFlags: Type.Optional(TcpFlagsMatch),
    icmpTypes: Type.Optional(Type.Array(Type.Union(ICMP_TYPES.map((t) => Type.Literal(t))), { maxItems: 16 })),
    interface: Type.Optional(InterfaceMatch),
    connectionStates: Type.Optional(
      Type.Array(Type.Union(CONNECTION_STATES.map((s) => Type.Literal(s))), { minItems: 1, maxItems: 4 }),
    ),
    fragments: Type.Optional(
      Type.Boolean({ description: 'Match only IP fragments (checked before the kernel reassembles them)' }),
    ),
  },
  { additionalProperties: false },
);
export type FirewallRule = Static<typeof FirewallRule>;

const ListCommon = {
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 4000 })),
};

export const IpList = Type.Object(
  { ...ListCommon, addresses: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100_000 }) },
  { additionalProperties: false },
);
export type IpList = Static<typeof IpList>;

export const MacList = Type.Object(
  { ...ListCommon, macs: Type.Array(Type.String({ maxLength: 17 }), { maxItems: 100_000 }) },
  { additionalProperties: false },
);
export type MacList = Static<typeof MacList>;

export const PortList = Type.Object(
  { ...ListCommon, ports: Type.Array(PortTerm, { maxItems: 100_000 }) },
  { additionalProperties: false },
);
export type PortList = Static<typeof PortList>;

/** The reusable lists rules refer to by id. */
export const FirewallLists = Type.Object(
  {
    ipLists: Type.Array(IpList, { maxItems: 10_000, default: [] }),
    macLists: Type.Array(MacList, { maxItems: 10_000, default: [] }),
    portLists: Type.Array(PortList, { maxItems: 10_000, default: [] }),
  },
  { additionalProperties: false },
);
export type FirewallLists = Static<typeof FirewallLists>;

export const emptyLists: FirewallLists = { ipLists: [], macLists: [], portLists: [] };
