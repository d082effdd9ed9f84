import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  AgentRoutes,
  UPDATE_CHUNK_BYTES,
  UpdateChunk,
  type UpdatePackageRef,
  type UpdatePackageRefs,
  type UpdateReport,
} from '@bulwark/protocol';
import type { ManagerChannel } from '../channel/manager-channel.js';
import type { AgentLogger } from '../log/json-logger.js';
import type { UpdateStore } from './update-store.js';
import { type PackageClaims, verifyClaims, verifyContent } from './update-verifier.js';

export interface UpdateSyncOptions {
  readonly store: UpdateStore;
  readonly channel: Pick<ManagerChannel, 'call'>;
  /** The manager CA pinned at activation: it must endorse the update-signing key. */
  readonly caPem: string;
  readonly log: AgentLogger;
  readonly signal?: AbortSignal;
}

/**
 * Brings the host's update packages to the versions the security configuration names: downloads
 * what it lacks in chunks over the agent channel (resuming a download cut short), checks the
 * signature and the hash, and swaps it in (update-store.ts). A version that is the kept previous
 * one (the manager rolled back) is swapped back without a download.
 */
export class UpdateSync {
  readonly #options: UpdateSyncOptions;
  /** Why the named version of a kind is not in use, while it is not. */
  readonly #problems = new Map<string, { version: number; reason: string }>();
  #wanted: UpdatePackageRefs = {};

  constructor(options: UpdateSyncOptions) {
    this.#options = options;
  }

  /** Returns true when a package in use changed. Never throws: failures are reported per kind. */
  async sync(wanted: UpdatePackageRefs): Promise<boolean> {
    this.#wanted = wanted;
    let changed = false;
    for (const [kind, ref] of Object.entries(wanted)) {
      try {
        changed = (await this.#syncKind(kind, ref)) || changed;
      } catch (error) {
        this.#fail(kind, ref.version, (error as Error).message);
      }
    }
    return changed;
  }

  /** A string that changes whenever a package in use changes (a local rollback included). */
  fingerprint(): string {
    const { store } = this.#options;
    return store
      .kinds()
      .sort()
      .map((k) => `${k}:${store.state(k).current?.sha256 ?? '-'}`)
      .join(',');
  }

  reports(): UpdateReport[] {
    const { store } = this.#options;
    const kinds = new Set([...Object.keys(this.#wanted), ...store.kinds()]);
    return [...kinds].sort().map((kind) => {
      const state = store.state(kind);
      const want = this.#wanted[kind];
      const problem = this.#problems.get(kind);
      const base = { kind, version: state.current?.version ?? null, previous: state.previous?.version ?? null };
      if (want === undefined || (state.current?.version === want.version && state.current.sha256 === want.sha256))
        return { ...base, state: 'current' as const };
      if (state.heldBack === want.version)
        return {
          ...base,
          state: 'held-back' as const,
          reason: `rolled back on this host from version ${want.version}`,
        };
      if (problem !== undefined && problem.version === want.version)
        return { ...base, state: 'failed' as const, reason: problem.reason.slice(0, 1024) };
      return { ...base, state: 'pending' as const };
    });
  }

  async #syncKind(kind: string, ref: UpdatePackageRef): Promise<boolean> {
    const { store, log } = this.#options;
    let state = store.state(kind);
    if (state.current?.version === ref.version && state.current.sha256 === ref.sha256) return false;
    if (state.heldBack !== null) {
      if (state.heldBack === ref.version) return false;
      state = store.release(kind);
    }
    if (state.previous?.version === ref.version && state.previous.sha256 === ref.sha256) {
      const swapped = store.swap(kind, false);
      if (swapped.ok) {
        this.#problems.delete(kind);
        log.info('update package: back to the previous version', { kind, version: ref.version });
        return true;
      }
      log.warn('update package: the kept previous version cannot be used; downloading it', {
        kind,
        reason: swapped.reason,
      });
    }
    const file = await this.#download(kind, ref);
    if (file === null) return false;
    store.install(kind, ref, file);
    this.#problems.delete(kind);
    log.info('update package installed', { kind, version: ref.version, bytes: ref.size });
    return true;
  }

  /** The verified file, or null (with the reason recorded) when it could not be had this time. */
  async #download(kind: string, ref: UpdatePackageRef): Promise<string | null> {
    const { store, channel, caPem, signal } = this.#options;
    const dir = store.dir(kind);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const part = store.partPath(kind, ref.version);
    const claimsPath = join(dir, `${ref.version}.claims.json`);
    // A part left by a download cut short resumes at its last whole chunk, if it is the same package.
    let claims: PackageClaims | null = readClaims(claimsPath);
    if (claims !== null && (claims.sha256 !== ref.sha256 || claims.size !== ref.size)) claims = null;
    let offset = 0;
    if (claims !== null && existsSync(part)) {
      offset = Math.floor(statSync(part).size / UPDATE_CHUNK_BYTES) * UPDATE_CHUNK_BYTES;
      truncateSync(part, offset);
    } else {
      rmSync(part, { force: true });
      claims = null;
    }
    let verified = false;
    do {
      const path = `${AgentRoutes.updateChunk.path.replace(':kind', kind).replace(':version', String(ref.version))}?offset=${offset}`;
      const answer = await channel.call('GET', path, undefined, UpdateChunk, {
        retries: 2,
        timeoutMs: 60_000,
        ...(signal ? { signal } : {}),
      });
      if (!answer.ok) {
        this.#fail(kind, ref.version, `download stopped at byte ${offset}: ${answer.message}`);
        return null;
      }
      const chunk = answer.value;
      const these: PackageClaims = {
        kind: chunk.kind,
        version: chunk.version,
        sha256: chunk.sha256,
        size: chunk.size,
        signature: chunk.signature,
        signer: chunk.signer,
      };
      if (
        these.kind !== kind ||
        these.version !== ref.version ||
        these.sha256 !== ref.sha256 ||
        these.size !== ref.size
      )
        return this.#refuse(
          kind,
          ref,
          part,
          claimsPath,
          'the manager sent another package than the configuration names',
        );
      if (!verified) {
        // Checked on the first answer of every attempt, a resumed one included.
        const verdict = verifyClaims(caPem, these);
        if (!verdict.ok) return this.#refuse(kind, ref, part, claimsPath, verdict.reason);
        verified = true;
        if (claims !== null && claims.signature !== these.signature) {
          // Re-signed since the part was written (a new key): the bytes are the same hash, but start over.
          return this.#refuse(
            kind,
            ref,
            part,
            claimsPath,
            'the signature changed since the download began; it starts over',
          );
        }
        claims = these;
        writeFileSync(claimsPath, JSON.stringify(claims), { mode: 0o600 });
      } else if (claims!.signature !== these.signature || claims!.signer.publicKey !== these.signer.publicKey) {
        return this.#refuse(kind, ref, part, claimsPath, 'the signature changed during the download');
      }
      const bytes = Buffer.from(chunk.data, 'base64');
      const expected = Math.min(UPDATE_CHUNK_BYTES, ref.size - offset);
      if (chunk.offset !== offset || bytes.length !== expected)
        return this.#refuse(
          kind,
          ref,
          part,
          claimsPath,
          `chunk at ${offset} has ${bytes.length} bytes, ${expected} expected`,
        );
      appendFileSync(part, bytes, { mode: 0o600 });
      offset += bytes.length;
    } while (offset < ref.size);
    if (!existsSync(part)) writeFileSync(part, '', { mode: 0o600 });
    const verdict = verifyContent(claims!, readFileSync(part));
    if (!verdict.ok) return this.#refuse(kind, ref, part, claimsPath, verdict.reason);
    rmSync(claimsPath, { force: true });
    return part;
  }

  #refuse(kind: string, ref: UpdatePackageRef, part: string, claimsPath: string, reason: string): null {
    rmSync(part, { force: true });
    rmSync(claimsPath, { force: true });
    this.#fail(kind, ref.version, `refused: ${reason}`);
    return null;
  }

  #fail(kind: string, version: number, reason: string): void {
    this.#problems.set(kind, { version, reason });
    this.#options.log.warn('update package not taken', { kind, version, reason });
  }
}

function readClaims(path: string): PackageClaims | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as PackageClaims;
  } catch {
    return null;
  }
}
