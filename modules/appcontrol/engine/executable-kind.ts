/**
 * What kind of executable a file is, from its first bytes: an ELF object (program, shared object,
 * loader) or a script whose first line names its interpreter (`#!`). Pure: the caller reads the
 * head of the file (HEAD_BYTES is enough for both) and hands it over.
 */

/** Bytes of a file's head the classifiers look at: the kernel reads at most 256 for `#!` (BINPRM_BUF_SIZE). */
export const HEAD_BYTES = 256;
/** The longest `#!` line the kernel honours; a longer one is cut there, as the kernel cuts it. */
export const MAX_SHEBANG_BYTES = 256;

export type ElfClass = 32 | 64;

export interface ElfHeader {
  readonly kind: 'elf';
  readonly class: ElfClass;
  readonly littleEndian: boolean;
  /** e_type: 'executable' (ET_EXEC), 'shared' (ET_DYN: PIE programs and libraries), other values by number. */
  readonly type: 'relocatable' | 'executable' | 'shared' | 'core' | number;
  /** e_machine, e.g. 62 for x86-64, 183 for AArch64. */
  readonly machine: number;
}

export interface ScriptHeader {
  readonly kind: 'script';
  /** The interpreter's path as written after `#!`. */
  readonly interpreter: string;
  /** The optional single argument (the kernel passes the rest of the line as one argument). */
  readonly argument: string | null;
}

export interface NotExecutable {
  readonly kind: 'other';
  /** Why not, when it looked like one: `elf-truncated`, `elf-bad-class`, `shebang-empty`… */
  readonly anomaly?: string;
}

export type ExecutableKind = ElfHeader | ScriptHeader | NotExecutable;

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
const ELF_IDENT_BYTES = 20;

/** Parses an ELF identification and the e_type/e_machine fields; anything malformed is 'other' with why. */
export function parseElfHeader(head: Uint8Array): ElfHeader | NotExecutable {
  for (let i = 0; i < ELF_MAGIC.length; i++) if (head[i] !== ELF_MAGIC[i]) return { kind: 'other' };
  if (head.length < ELF_IDENT_BYTES) return { kind: 'other', anomaly: 'elf-truncated' };
  const cls = head[4];
  if (cls !== 1 && cls !== 2) return { kind: 'other', anomaly: 'elf-bad-class' };
  const data = head[5];
  if (data !== 1 && data !== 2) return { kind: 'other', anomaly: 'elf-bad-byte-order' };
  if (head[6] !== 1) return { kind: 'other', anomaly: 'elf-bad-version' };
  const littleEndian = data === 1;
  const u16 = (o: number) =>
    littleEndian
      ? (head[o] as number) | ((head[o + 1] as number) << 8)
      : ((head[o] as number) << 8) | (head[o + 1] as number);
  const t = u16(16);
  const type = t === 1 ? 'relocatable' : t === 2 ? 'executable' : t === 3 ? 'shared' : t === 4 ? 'core' : t;
  return { kind: 'elf', class: cls === 1 ? 32 : 64, littleEndian, type, machine: u16(18) };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Parses a `#!` line as Linux does (fs/binfmt_script.c): blanks after `#!` skipped, the
 * interpreter up to the next blank, the rest of the line (trimmed) as one optional argument,
 * the line cut at MAX_SHEBANG_BYTES.
 */
export function parseShebang(head: Uint8Array): ScriptHeader | NotExecutable {
  if (head[0] !== 0x23 || head[1] !== 0x21) return { kind: 'other' };
  let end = Math.min(head.length, MAX_SHEBANG_BYTES);
  for (let i = 2; i < end; i++) {
    if (head[i] === 0x0a) {
      end = i;
      break;
    }
  }
  const isBlank = (b: number | undefined) => b === 0x20 || b === 0x09;
  let i = 2;
  while (i < end && isBlank(head[i])) i++;
  const start = i;
  while (i < end && !isBlank(head[i]) && head[i] !== 0) i++;
  if (i === start) return { kind: 'other', anomaly: 'shebang-empty' };
  const interpreter = utf8.decode(head.subarray(start, i));
  while (i < end && isBlank(head[i])) i++;
  let argEnd = end;
  while (argEnd > i && (isBlank(head[argEnd - 1]) || head[argEnd - 1] === 0x0d)) argEnd--;
  const argument = argEnd > i ? utf8.decode(head.subarray(i, argEnd)) : null;
  return { kind: 'script', interpreter, argument };
}

/** ELF, script or neither, from the first HEAD_BYTES of a file. */
export function classifyExecutable(head: Uint8Array): ExecutableKind {
  if (head[0] === 0x7f) return parseElfHeader(head);
  if (head[0] === 0x23) return parseShebang(head);
  return { kind: 'other' };
}

/** True for what the module inventories and checks: ELF objects and `#!` scripts. */
export function isExecutableKind(kind: ExecutableKind): kind is ElfHeader | ScriptHeader {
  return kind.kind !== 'other';
}
