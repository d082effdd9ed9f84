import { type Static, Type } from '@sinclair/typebox';
import { FirewallLists } from './rule-schema.js';

const Flag = (value: boolean, description: string) => Type.Boolean({ default: value, description });

/** The firewall's settings (keys `firewall.<property>`); every property has its default. */
export const FirewallSettings = Type.Object(
  {
    enabled: Flag(false, 'Turns the firewall on for the computer'),
    trackTcpState: Flag(true, 'Let packets of known TCP connections through before the rules'),
    trackUdpState: Flag(true, 'Let replies of known UDP flows through before the rules'),
    trackIcmpState: Flag(true, 'Let replies to ICMP requests through before the rules'),
    dropInvalid: Flag(true, 'Drop packets that belong to no valid connection'),
    maxHalfOpenPerSource: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 0,
      description: 'Most TCP connections a source may be opening or hold at once (0 = no limit)',
    }),
    detectPortScans: Flag(true, 'Detect a source trying many TCP ports'),
    blockPortScans: Flag(false, 'Block a detected port scanner for blockSeconds'),
    detectNetworkSweeps: Flag(true, 'Detect a source probing many addresses (host discovery)'),
    blockNetworkSweeps: Flag(false, 'Block a detected sweeper for blockSeconds'),
    detectTcpProbes: Flag(true, 'Detect NULL, FIN, Xmas and SYN-FIN probes (stealth scans, OS fingerprinting)'),
    blockTcpProbes: Flag(false, 'Block a source sending such probes for blockSeconds'),
    blockSeconds: Type.Integer({ minimum: 1, maximum: 604_800, default: 1800 }),
    portScanThreshold: Type.Integer({
      minimum: 3,
      maximum: 65_535,
      default: 15,
      description: 'Distinct ports a source must try within reconWindowSeconds to count as a port scan',
    }),
    sweepThreshold: Type.Integer({
      minimum: 3,
      maximum: 65_535,
      default: 10,
      description: 'Distinct addresses a source must probe within reconWindowSeconds to count as a sweep',
    }),
    reconWindowSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
    lists: Type.Object(FirewallLists.properties, {
      additionalProperties: false,
      default: { ipLists: [], macLists: [], portLists: [] },
      description: 'Reusable IP, MAC and port lists that rules refer to by id',
    }),
  },
  { additionalProperties: false },
);
export type FirewallSettings = Static<typeof FirewallSettings>;

/** What the engine needs of the settings at runtime (everything but `enabled` and `lists`). */
export type StatefulAndReconSettings = Omit<FirewallSettings, 'enabled' | 'lists'>;
