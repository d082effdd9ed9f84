/**
 * Paths are kept as "byte strings": one JS character per byte of the file name (latin1).
 * Linux file names are bytes, not text; a name that is not valid UTF-8 must still be watched,
 * stored and reported without loss, so every path the agent sees goes through this form and
 * is converted to a Buffer only at the fs call.
 */

/** A user-written path or glob (UTF-8 text) as a byte string. */
export function toBytePath(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** The bytes of a byte-string path, for fs calls. */
export function pathBuffer(bytePath: string): Buffer {
  return Buffer.from(bytePath, 'latin1');
}

export function isUtf8(bytePath: string): boolean {
  const bytes = pathBuffer(bytePath);
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

/**
 * A path a person can read: UTF-8 when the name is valid UTF-8, otherwise each byte that is
 * not part of a valid sequence is written as \xNN (events then also carry the exact bytes).
 */
export function displayPath(bytePath: string): string {
  if (isUtf8(bytePath)) return pathBuffer(bytePath).toString('utf8');
  let out = '';
  const bytes = pathBuffer(bytePath);
  let i = 0;
  while (i < bytes.length) {
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) {
      out += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i += 1;
    } else {
      const chunk = bytes.subarray(i, i + length).toString('utf8');
      out += chunk === '\\' ? '\\\\' : chunk;
      i += length;
    }
  }
  return out;
}

function utf8SequenceLength(bytes: Buffer, at: number): number {
  const first = bytes[at]!;
  let length: number;
  if (first < 0x80) return 1;
  if (first >= 0xc2 && first <= 0xdf) length = 2;
  else if (first >= 0xe0 && first <= 0xef) length = 3;
  else if (first >= 0xf0 && first <= 0xf4) length = 4;
  else return 0;
  if (at + length > bytes.length) return 0;
  for (let k = 1; k < length; k++) if ((bytes[at + k]! & 0xc0) !== 0x80) return 0;
  const decoded = bytes.subarray(at, at + length).toString('utf8');
  return decoded.includes('\uFFFD') ? 0 : length;
}

export function joinBytePath(directory: string, name: string): string {
  return directory.endsWith('/') ? directory + name : `${directory}/${name}`;
}

export function baseName(bytePath: string): string {
  const slash = bytePath.lastIndexOf('/');
  return slash < 0 ? bytePath : bytePath.slice(slash + 1);
}

export function parentDirectory(bytePath: string): string {
  const slash = bytePath.lastIndexOf('/');
  if (slash <= 0) return '/';
  return bytePath.slice(0, slash);
}

/** True when `path` is `directory` itself or lies below it. */
export function isWithin(path: string, directory: string): boolean {
  if (directory === '/') return path.startsWith('/');
  return path === directory || path.startsWith(`${directory}/`);
}
