import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { MIN_CLUSTER_KEY_CHARS } from '../pki/cluster-ca.js';

export type ClusterKeyRead =
  | { readonly ok: true; readonly key: string }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the cluster key file. It opens the cluster's CA key, so a file that others on the host can
 * read, or one too short to be a real secret, is refused rather than used.
 */
export function readClusterKeyFile(path: string): ClusterKeyRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return { ok: false, reason: `cannot read the cluster key file ${path}: ${(error as Error).message}` };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, reason: `the cluster key file ${path} is not a regular file` };
    if ((stat.mode & 0o077) !== 0)
      return {
        ok: false,
        reason: `the cluster key file ${path} has mode ${(stat.mode & 0o777).toString(8)}; others may read it: chmod 600 it`,
      };
    const key = readFileSync(fd, 'utf8').trim();
    if (key.length < MIN_CLUSTER_KEY_CHARS)
      return {
        ok: false,
        reason: `the cluster key in ${path} has ${key.length} characters; it needs at least ${MIN_CLUSTER_KEY_CHARS} (openssl rand -base64 32)`,
      };
    return { ok: true, key };
  } finally {
    closeSync(fd);
  }
}
