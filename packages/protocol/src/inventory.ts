import { type Static, Type } from '@sinclair/typebox';
import { contentHash } from './json-hash.js';

const Str = (max = 512) => Type.String({ maxLength: max });

export const InstalledPackage = Type.Object(
  {
    name: Str(256),
    version: Str(256),
    architecture: Type.Optional(Str(64)),
    manager: Type.Union([Type.Literal('dpkg'), Type.Literal('rpm')]),
  },
  { additionalProperties: false },
);
export type InstalledPackage = Static<typeof InstalledPackage>;

export const ListeningPort = Type.Object(
  {
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]),
    family: Type.Union([Type.Literal('ipv4'), Type.Literal('ipv6')]),
    address: Str(64),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    process: Type.Optional(Str(256)),
  },
  { additionalProperties: false },
);
export type ListeningPort = Static<typeof ListeningPort>;

export const Service = Type.Object(
  {
    name: Str(256),
    loadState: Type.Optional(Str(64)),
    activeState: Str(64),
    subState: Type.Optional(Str(64)),
    enabled: Type.Optional(Str(64)),
  },
  { additionalProperties: false },
);
export type Service = Static<typeof Service>;

export const LocalUser = Type.Object(
  {
    name: Str(256),
    uid: Type.Integer(),
    gid: Type.Integer(),
    home: Str(1024),
    shell: Str(1024),
  },
  { additionalProperties: false },
);
export type LocalUser = Static<typeof LocalUser>;

/** What the inventory module reports of a host; recommendation scans read it. */
export const Inventory = Type.Object(
  {
    collectedAt: Type.String({ format: 'date-time' }),
    hostname: Str(256),
    os: Type.Object(
      {
        id: Str(64),
        name: Str(256),
        version: Type.Optional(Str(128)),
        prettyName: Type.Optional(Str(256)),
      },
      { additionalProperties: false },
    ),
    kernel: Type.Object(
      { release: Str(256), version: Type.Optional(Str(512)), machine: Str(64) },
      { additionalProperties: false },
    ),
    packages: Type.Array(InstalledPackage, { maxItems: 100_000 }),
    listeningPorts: Type.Array(ListeningPort, { maxItems: 65_536 }),
    services: Type.Array(Service, { maxItems: 20_000 }),
    users: Type.Array(LocalUser, { maxItems: 100_000 }),
  },
  { additionalProperties: false },
);
export type Inventory = Static<typeof Inventory>;

/** Digest of what was found, independent of when: heartbeats carry it so unchanged inventories are not resent. */
export function inventoryDigest(inventory: Inventory): string {
  const { collectedAt: _collectedAt, ...content } = inventory;
  return contentHash(content);
}
