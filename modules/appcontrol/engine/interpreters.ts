/**
 * Programs that run other files: shells, script interpreters and the dynamic loader. When one of
 * them opens a file it was asked to run on its command line (`python3 x.py`, `sh x.sh`,
 * `/lib64/ld-linux-x86-64.so.2 ./program`), that file is checked as if it were executed.
 */

const INTERPRETER_NAMES: readonly RegExp[] = [
  /^(ba|da|z|k|mk|a|c|tc|fi|yash|posh|busybox)?sh$/,
  /^busybox$/,
  /^python[0-9.]*$/,
  /^pypy[0-9.]*$/,
  /^perl[0-9.]*$/,
  /^ruby[0-9.]*$/,
  /^php[0-9.]*(-cli)?$/,
  /^node(js)?$/,
  /^lua[0-9.]*$/,
  /^tclsh[0-9.]*$/,
  /^(g|m|n)?awk$/,
  /^ld-linux.*\.so(\.[0-9]+)*$/,
  /^ld(-musl-[a-z0-9_]+)?\.so(\.[0-9]+)*$/,
];

/**
 * The same names as POSIX extended regular expressions (they use nothing else), for the kernel
 * package, which lets opens by any other program through without asking the agent.
 */
export const INTERPRETER_PATTERNS: readonly string[] = INTERPRETER_NAMES.map((re) => re.source);

function basename(path: string): string {
  const cut = path.replace(/ \(deleted\)$/, '');
  return cut.slice(cut.lastIndexOf('/') + 1);
}

/** True when the program at `exePath` (a process's /proc/PID/exe) runs other files. */
export function isInterpreter(exePath: string): boolean {
  const name = basename(exePath);
  return INTERPRETER_NAMES.some((re) => re.test(name));
}

/** Joins a command-line argument to the process's working directory, as the process resolves it. */
export function resolveArgument(argument: string, cwd: string): string {
  const joined = argument.startsWith('/') ? argument : `${cwd.replace(/\/+$/, '')}/${argument}`;
  const parts: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/**
 * True when `path` is one of the arguments after the program name (a script or program given to
 * an interpreter to run). Options are not paths; the first argument that names the file counts.
 */
export function namedOnCommandLine(argv: readonly string[], cwd: string, path: string): boolean {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a.length === 0 || a.startsWith('-')) continue;
    if (resolveArgument(a, cwd) === path) return true;
  }
  return false;
}

/** Parses /proc/PID/cmdline (NUL-separated). */
export function parseCommandLine(raw: Uint8Array): string[] {
  const text = new TextDecoder().decode(raw);
  const parts = text.split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Names of package managers whose activity may be trusted (the process's ancestry is checked). */
export const PACKAGE_MANAGER_NAMES: ReadonlySet<string> = new Set([
  'dpkg',
  'apt',
  'apt-get',
  'aptitude',
  'unattended-upgr',
  'unattended-upgrade',
  'packagekitd',
]);

/** True when a process name (/proc/PID/comm, 15 characters at most) is a package manager. */
export function isPackageManager(comm: string): boolean {
  return PACKAGE_MANAGER_NAMES.has(comm.trim());
}
