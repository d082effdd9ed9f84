import { type Static, Type } from '@sinclair/typebox';

/**
 * Update packages (DESIGN.md "Agent ↔ manager"): versioned, signed content that the manager
 * serves and agents download — reputation data, malware patterns, rule updates. A module declares
 * the kinds it consumes (`ManagerModule.updateKinds`); an administrator imports content for a
 * kind; the manager numbers it (1, 2, …), signs it and names the current version of every kind
 * in each computer's security configuration (`updates`). The agent downloads what it lacks over
 * the agent channel, checks the signature and the hash, swaps it in atomically and keeps the
 * previous version for rollback. See docs/update-packages.md.
 *
 * Signatures: the manager keeps an Ed25519 key beside its CA key. The CA endorses the key's
 * public half (an ECDSA signature over `updateSignerStatement`), and agents check that endorsement
 * against the CA they pinned at activation, so no extra key distribution is needed and a package
 * that did not come from the manager's key (a database row changed behind its back, say) is
 * refused. The package signature covers kind, version, hash and size (`updatePackageStatement`),
 * so an old package cannot be passed off as a newer version of itself or of another kind.
 */

export const UPDATE_KIND_PATTERN = '^[a-z][a-z0-9-]{0,63}$';

/** The largest package the manager accepts for import (bytes). */
export const MAX_UPDATE_PACKAGE_BYTES = 64 * 1_048_576;

/** Bytes per download chunk; the agent resumes an interrupted download at a chunk boundary. */
export const UPDATE_CHUNK_BYTES = 1_048_576;

export const UpdateKind = Type.String({ pattern: UPDATE_KIND_PATTERN });

/** What a computer's configuration names for one kind: the version to run and its content hash. */
export const UpdatePackageRef = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    size: Type.Integer({ minimum: 0, maximum: MAX_UPDATE_PACKAGE_BYTES }),
  },
  { additionalProperties: false },
);
export type UpdatePackageRef = Static<typeof UpdatePackageRef>;

export const UpdatePackageRefs = Type.Record(UpdateKind, UpdatePackageRef);
export type UpdatePackageRefs = Static<typeof UpdatePackageRefs>;

/** The manager's signing key as agents receive it: its public half and the CA's endorsement. */
export const UpdateSigner = Type.Object(
  {
    /** Ed25519 public key, SubjectPublicKeyInfo DER, base64. */
    publicKey: Type.String({ maxLength: 256 }),
    /** The CA's ECDSA P-256 SHA-256 signature (IEEE P1363 r||s) over updateSignerStatement, base64. */
    endorsement: Type.String({ maxLength: 512 }),
  },
  { additionalProperties: false },
);
export type UpdateSigner = Static<typeof UpdateSigner>;

/** One chunk of a package, as `GET /agent/v1/updates/:kind/:version?offset=N` answers. */
export const UpdateChunk = Type.Object(
  {
    kind: UpdateKind,
    version: Type.Integer({ minimum: 1 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    size: Type.Integer({ minimum: 0 }),
    /** Ed25519 signature over updatePackageStatement, base64. */
    signature: Type.String({ maxLength: 256 }),
    signer: UpdateSigner,
    offset: Type.Integer({ minimum: 0 }),
    data: Type.String({ description: 'base64 of bytes offset … offset+UPDATE_CHUNK_BYTES', maxLength: 2_000_000 }),
  },
  { additionalProperties: false },
);
export type UpdateChunk = Static<typeof UpdateChunk>;

export const UpdateChunkQuery = Type.Object(
  { offset: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_UPDATE_PACKAGE_BYTES })) },
  { additionalProperties: false },
);

/** Where an agent stands with one kind, as its heartbeat reports it. */
export const UpdateReport = Type.Object(
  {
    kind: UpdateKind,
    /** The version in use; null when the agent has none yet. */
    version: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    /** The version kept for rollback. */
    previous: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
    /**
     * current: runs what the configuration names. pending: downloading or about to.
     * failed: the named version was refused or could not be fetched (`reason`).
     * held-back: rolled back on the host; the named version is not taken again until the
     * manager names another.
     */
    state: Type.Union([
      Type.Literal('current'),
      Type.Literal('pending'),
      Type.Literal('failed'),
      Type.Literal('held-back'),
    ]),
    reason: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type UpdateReport = Static<typeof UpdateReport>;

export const MAX_UPDATE_KINDS = 64;

/** A kind of update content a module consumes (`ManagerModule.updateKinds`). */
export interface UpdateKindDeclaration {
  readonly kind: string;
  /** One line for `bulwark updates list` and the API docs. */
  readonly description: string;
  /**
   * Checks imported content before it is stored (the module's own parser, say): the problems
   * found, empty when the content is fine. Pure; runs on the manager.
   */
  check?(content: Uint8Array): readonly string[];
}

/** What the CA signs to endorse the update-signing key. */
export function updateSignerStatement(publicKeyBase64: string): string {
  return `bulwark update signer v1\n${publicKeyBase64}`;
}

/** What the signing key signs for one package. */
export function updatePackageStatement(kind: string, version: number, sha256: string, size: number): string {
  return `bulwark update package v1\n${kind}\n${version}\n${sha256}\n${size}`;
}

/** A package the agent holds and has verified, as a module reads it (`AgentModuleContext.updates`). */
export interface InstalledUpdatePackage {
  readonly kind: string;
  readonly version: number;
  readonly sha256: string;
  readonly size: number;
  /** The content file (read-only to the module; replaced, never rewritten in place). */
  readonly path: string;
}

/** The agent's verified packages, for the modules that consume them. */
export interface UpdatePackageReader {
  /** The package in use for `kind`; undefined when the agent has none. */
  current(kind: string): InstalledUpdatePackage | undefined;
}
